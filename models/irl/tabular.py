"""Small discrete worlds as tabular MDPs: FrozenLake and MiniGrid rooms, value iteration, demos.

A `TabularMDP` has one state per place the agent can be (FrozenLake: a cell; MiniGrid: a cell
and a heading), plus one absorbing *exit* state: entering a terminal state (goal, hole, lava)
counts that state once, then the episode is over and the exit state collects nothing. The
reward is a function of the cell, one weight per reward cell, so it draws as a grid heatmap.

Demos are sequences of state indices. `frozen_lake_demos` plays the optimal policy in the real
env; `minigrid_demos` reads the agent's (x, y, heading) from `env.unwrapped` while an expert
plays; `dataset_demos` re-simulates a MiniGrid dataset's recorded episodes to get them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from clonelab.models.irl import IRLError

# MiniGrid's navigation actions (minigrid.core.actions.Actions): the others change no
# (x, y, heading) in a room without objects, so the tabular model leaves them out.
MINIGRID_LEFT, MINIGRID_RIGHT, MINIGRID_FORWARD = 0, 1, 2
_HEADINGS = ((1, 0), (0, 1), (-1, 0), (0, -1))  # east, south, west, north (MiniGrid's order)


@dataclass(frozen=True, kw_only=True, eq=False)
class TabularMDP:
    """States, actions, transition probabilities and per-cell reward features of a grid world."""

    name: str
    """The env id it was built from."""
    transitions: np.ndarray
    """(S, A, S) probabilities P(s' | s, a); the last state is the absorbing exit."""
    terminal: np.ndarray
    """(S,) True for states that end the episode when entered (goal, hole, lava)."""
    state_cells: np.ndarray
    """(S, 2) the (x, y) cell of each state; (-1, -1) for the exit state."""
    state_headings: np.ndarray
    """(S,) MiniGrid's heading (0 east .. 3 north) of each state; -1 where there is none."""
    grid_shape: tuple[int, int]
    """(height, width) of the grid, walls included."""
    goal_cells: tuple[tuple[int, int], ...]
    """Cells that end the episode with success."""

    @property
    def n_states(self) -> int:
        """States, the exit state included."""
        return self.transitions.shape[0]

    @property
    def n_actions(self) -> int:
        """Actions in every state."""
        return self.transitions.shape[1]

    @property
    def exit_state(self) -> int:
        """The absorbing state after a terminal one."""
        return self.n_states - 1

    @property
    def features(self) -> np.ndarray:
        """(S, H*W) one-hot of each state's cell (row y * width + x); zero for the exit."""
        height, width = self.grid_shape
        features = np.zeros((self.n_states, height * width))
        inside = self.state_cells[:, 0] >= 0
        index = self.state_cells[inside, 1] * width + self.state_cells[inside, 0]
        features[np.flatnonzero(inside), index] = 1.0
        return features

    def reward_grid(self, weights: np.ndarray) -> np.ndarray:
        """(height, width) grid of per-cell weights, NaN on cells no state occupies."""
        grid = np.asarray(weights, dtype=np.float64).reshape(self.grid_shape).copy()
        grid[self.features.sum(axis=0).reshape(self.grid_shape) == 0] = np.nan
        return grid

    def state_of(self, cell: tuple[int, int], heading: int = -1) -> int:
        """The index of the state at `cell` (and heading, for MiniGrid)."""
        match = (self.state_cells[:, 0] == cell[0]) & (self.state_cells[:, 1] == cell[1])
        match &= self.state_headings == heading
        found = np.flatnonzero(match)
        if len(found) != 1:
            raise IRLError(f"{self.name}: no state at cell {cell} heading {heading}")
        return int(found[0])


def _with_exit(transitions: np.ndarray, terminal: np.ndarray) -> np.ndarray:
    """Append the exit state and send every terminal state into it."""
    n_states, n_actions, _ = transitions.shape
    full = np.zeros((n_states + 1, n_actions, n_states + 1))
    full[:n_states, :, :n_states] = transitions
    full[np.flatnonzero(terminal), :, :] = 0.0
    full[np.flatnonzero(terminal), :, n_states] = 1.0
    full[n_states, :, n_states] = 1.0
    return full


def frozen_lake_mdp(env: gym.Env) -> TabularMDP:
    """The MDP of a FrozenLake env (slippery or not) from its own model, `env.unwrapped.P`."""
    lake = env.unwrapped
    model = getattr(lake, "P", None)
    desc = getattr(lake, "desc", None)
    if model is None or desc is None:
        raise IRLError(f"{env.spec.id if env.spec else env}: not a FrozenLake env (no P/desc)")
    height, width = desc.shape
    n_states, n_actions = height * width, len(model[0])
    transitions = np.zeros((n_states, n_actions, n_states))
    for state in range(n_states):
        for action in range(n_actions):
            for probability, following, _reward, _done in model[state][action]:
                transitions[state, action, following] += probability
    letters = desc.reshape(-1)
    terminal = np.isin(letters, [b"G", b"H"])
    cells = np.array([(s % width, s // width) for s in range(n_states)] + [(-1, -1)])
    goals = tuple((s % width, s // width) for s in np.flatnonzero(letters == b"G"))
    return TabularMDP(
        name=env.spec.id if env.spec else "FrozenLake",
        transitions=_with_exit(transitions, terminal),
        terminal=np.append(terminal, False),
        state_cells=cells,
        state_headings=np.full(n_states + 1, -1),
        grid_shape=(height, width),
        goal_cells=goals,
    )


def minigrid_mdp(env: gym.Env) -> TabularMDP:
    """The MDP of a MiniGrid room after `env.reset()`: states (x, y, heading), 3 actions.

    Actions are left, right and forward. Goals and lava end the episode. Rooms with keys,
    doors, boxes or balls are refused: their state would need the objects' state too.
    """
    from minigrid.minigrid_env import MiniGridEnv

    room = env.unwrapped
    if not isinstance(room, MiniGridEnv):
        raise IRLError(f"{env.spec.id if env.spec else env}: not a MiniGrid env")
    width, height = room.grid.width, room.grid.height
    kinds: dict[tuple[int, int], str] = {}
    for y in range(height):
        for x in range(width):
            thing = room.grid.get(x, y)
            kind = "floor" if thing is None else thing.type
            if kind not in ("floor", "wall", "goal", "lava"):
                raise IRLError(f"{room.spec.id if room.spec else 'MiniGrid'}: a {kind} at "
                               f"({x}, {y}); tabular IRL handles rooms of floor, walls, goals "
                               "and lava only")
            kinds[(x, y)] = kind
    open_cells = [cell for cell, kind in kinds.items() if kind != "wall"]
    states = [(x, y, heading) for (x, y) in open_cells for heading in range(4)]
    index = {state: i for i, state in enumerate(states)}
    transitions = np.zeros((len(states), 3, len(states)))
    for i, (x, y, heading) in enumerate(states):
        transitions[i, MINIGRID_LEFT, index[(x, y, (heading - 1) % 4)]] = 1.0
        transitions[i, MINIGRID_RIGHT, index[(x, y, (heading + 1) % 4)]] = 1.0
        dx, dy = _HEADINGS[heading]
        ahead = (x + dx, y + dy)
        moved = (*ahead, heading) if kinds.get(ahead, "wall") != "wall" else (x, y, heading)
        transitions[i, MINIGRID_FORWARD, index[moved]] = 1.0
    terminal = np.array([kinds[(x, y)] in ("goal", "lava") for x, y, _ in states])
    cells = np.array([(x, y) for x, y, _ in states] + [(-1, -1)])
    return TabularMDP(
        name=room.spec.id if room.spec else "MiniGrid",
        transitions=_with_exit(transitions, terminal),
        terminal=np.append(terminal, False),
        state_cells=cells,
        state_headings=np.array([h for _, _, h in states] + [-1]),
        grid_shape=(height, width),
        goal_cells=tuple(cell for cell, kind in kinds.items() if kind == "goal"),
    )


@dataclass(frozen=True)
class Plan:
    """An optimal deterministic policy of a tabular MDP under some state reward."""

    values: np.ndarray
    """(S,) optimal discounted values."""
    actions: np.ndarray
    """(S,) the greedy action in each state."""


def value_iteration(mdp: TabularMDP, state_reward: np.ndarray, *, discount: float = 0.99,
                    tolerance: float = 1e-9, max_iterations: int = 10_000) -> Plan:
    """Solve V(s) = r(s) + max_a discount * E[V(s')] (the exit state is worth 0).

    Ties between actions go to the lowest action index.
    """
    reward = np.asarray(state_reward, dtype=np.float64).copy()
    reward[mdp.exit_state] = 0.0
    values = np.zeros(mdp.n_states)
    for _ in range(max_iterations):
        q = reward[:, None] + discount * (mdp.transitions @ values)
        updated = q.max(axis=1)
        done = np.max(np.abs(updated - values)) < tolerance
        values = updated
        if done:
            break
    q = reward[:, None] + discount * (mdp.transitions @ values)
    # Round before argmax so that float noise does not break ties between equal actions.
    return Plan(values=values, actions=np.argmax(np.round(q, 9), axis=1))


def greedy_path(mdp: TabularMDP, plan: Plan, start: int, *, max_steps: int = 1_000
                ) -> list[int]:
    """The states visited following `plan` from `start` in a deterministic MDP, until the
    episode ends (a terminal state) or `max_steps`; the exit state is not listed."""
    path = [start]
    state = start
    for _ in range(max_steps):
        if mdp.terminal[state]:
            break
        state = int(np.argmax(mdp.transitions[state, plan.actions[state]]))
        path.append(state)
    return path


def goal_states(mdp: TabularMDP) -> np.ndarray:
    """Indices of the states on a goal cell."""
    on_goal = [tuple(cell) in mdp.goal_cells for cell in mdp.state_cells.tolist()]
    return np.flatnonzero(on_goal)


def shortest_steps(mdp: TabularMDP, start: int) -> int:
    """The fewest steps from `start` to a goal state (breadth-first over possible moves)."""
    goals = set(goal_states(mdp).tolist())
    frontier, seen, steps = {start}, {start}, 0
    while frontier:
        if frontier & goals:
            return steps
        following: set[int] = set()
        for state in frontier:
            if not mdp.terminal[state]:
                following |= set(np.flatnonzero(mdp.transitions[state].sum(axis=0)).tolist())
        frontier = following - seen
        seen |= frontier
        steps += 1
    raise IRLError(f"{mdp.name}: no goal is reachable from state {start}")


def goal_reward(mdp: TabularMDP) -> np.ndarray:
    """(S,) the env's own reward as a state reward: 1 on entering a goal, else 0."""
    reward = np.zeros(mdp.n_states)
    reward[goal_states(mdp)] = 1.0
    return reward


def _play(env: gym.Env, choose: Callable[[], int], read_state: Callable[[], int], seed: int
          ) -> np.ndarray:
    """One episode's visited state indices (reset state first)."""
    env.reset(seed=seed)
    states = [read_state()]
    while True:
        _, _, terminated, truncated, _ = env.step(choose())
        states.append(read_state())
        if terminated or truncated:
            return np.asarray(states)


def frozen_lake_demos(env: gym.Env, mdp: TabularMDP, *, episodes: int, seed: int = 0
                      ) -> list[np.ndarray]:
    """Episodes of the optimal policy (value iteration on the true reward) in the real env.

    Not slippery: every episode walks a shortest path to the goal. Slippery: the policy that
    reaches the goal most surely, wherever the ice sends it.
    """
    plan = value_iteration(mdp, goal_reward(mdp), discount=0.99)
    lake: Any = env.unwrapped
    return [_play(env, lambda: int(plan.actions[int(lake.s)]), lambda: int(lake.s), seed + i)
            for i in range(episodes)]


def minigrid_state_reader(env: gym.Env, mdp: TabularMDP) -> Callable[[], int]:
    """A function reading the agent's current state index from `env.unwrapped`."""
    room: Any = env.unwrapped
    index = {(int(x), int(y), int(h)): s for s, ((x, y), h) in
             enumerate(zip(mdp.state_cells.tolist(), mdp.state_headings.tolist(), strict=True))}
    return lambda: index[(int(room.agent_pos[0]), int(room.agent_pos[1]), int(room.agent_dir))]


def minigrid_demos(env: gym.Env, mdp: TabularMDP, act: Callable[[], int], *, episodes: int,
                   seed: int = 0) -> list[np.ndarray]:
    """Episodes played by `act()` (e.g. a scripted expert's action), reset with seed + i."""
    read = minigrid_state_reader(env, mdp)
    return [_play(env, act, read, seed + i) for i in range(episodes)]


def dataset_demos(env: gym.Env, mdp: TabularMDP, episodes: Sequence[Any]) -> list[np.ndarray]:
    """The states of recorded MiniGrid episodes, re-simulated from their seeds and actions.

    Each step's observation must match the recording; one that does not (an episode recorded
    in a variant of the env, or another env version) raises `IRLError` naming the episode.
    """
    read = minigrid_state_reader(env, mdp)
    demos = []
    for number, episode in enumerate(episodes):
        if episode.seed is None:
            raise IRLError(f"episode {number} has no reset seed; it cannot be re-simulated")
        observation, _ = env.reset(seed=int(episode.seed), options=episode.options or None)
        states = [read()]
        for t, action in enumerate(episode.actions):
            if not np.array_equal(observation, episode.observations[t]):
                raise IRLError(f"episode {number} does not re-simulate at step {t} (recorded "
                               "in a variant of the env?); tabular IRL needs its states")
            observation, *_ = env.step(int(action))
            states.append(read())
        demos.append(np.asarray(states))
    return demos
