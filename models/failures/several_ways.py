"""Several good ways: the demos' actions near a state, each head's distribution there, and
paired rollouts of a Gaussian clone and a mixture clone.

When equally good demos go two ways (round a block on the left or on the right), a Gaussian
head fits one bump over both and acts on its middle: a third way no demo took, often into the
wall between them. `several_ways` trains one clone per head on a dataset (same data, seed and
budget) and plays the Gaussian and the mixture clone from the same reset seeds;
`DemoNeighbours` finds the demo states nearest to a chosen one in a clone's normalised input
space; `head_densities` and `marginal_density` give what each head predicts there, ready to
draw (app/failures/several_ways_panel.py; docs/failures.md, "Several good ways").
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import gymnasium as gym
import numpy as np
import torch

from clonelab.models.action_density import ActionDensity, BinDensity, MixtureDensity
from clonelab.models.agent import PolicyAgent
from clonelab.models.data import DatasetLike
from clonelab.models.failures.subsets import EVAL_SEED, TransitionSet
from clonelab.models.heads import HeadKind
from clonelab.models.policy import Policy
from clonelab.models.training import TrainConfig, TrainProgress, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.configs import TORCH_DEVICES, check_counts
from clonelab.recorder.dict_observations import flatten_observation
from clonelab.recorder.jobs import CancelCheck, cancel_check, relay

log = logging.getLogger(__name__)

HEADS: tuple[HeadKind, ...] = ("gaussian", "mixture", "discretised")
"""The clones trained, in the order they train and are drawn."""
ROLLOUT_HEADS: tuple[HeadKind, ...] = ("gaussian", "mixture")
"""The clones that play from the same seeds: the one that averages and the one that does not."""
# A PointMaze rollout takes about as long as 60 training steps on one core (measured: 0.33 s
# an episode, 5.5 ms a step), so the progress bar moves evenly through both stages.
_STEPS_PER_EPISODE = 60
# Dict observations whose "achieved_goal" is where the agent is (PointMaze's ball): drawn.
_POSITION_KEY = "achieved_goal"

Rect = tuple[float, float, float, float]
"""x, y of the lower left corner, width, height."""


@dataclass(frozen=True, kw_only=True)
class SeveralWaysConfig:
    """The clones compared in the Several ways view and the rollouts they play."""

    steps: int = 2000
    """Gradient steps of each clone (the same for every head)."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of every clone."""
    seed: int = 0
    """Training seed of every clone."""
    rollouts: int = 3
    """Episodes the Gaussian and the mixture clone each play, from the same reset seeds."""
    rollout_seed: int = EVAL_SEED
    """Reset seed of the first rollout (far from the seeds `clonelab expert` records with)."""
    neighbours: int = 20
    """Demo states shown nearest to the chosen one (other episodes only)."""
    device: str = field(default="auto", metadata={"choices": TORCH_DEVICES})
    """Where the clones train: auto (CUDA when present), cpu, cuda or mps."""

    def __post_init__(self) -> None:
        check_counts(self, "steps", "rollouts", "neighbours")
        if not self.hidden or any(size <= 0 for size in self.hidden):
            raise ValueError(f"SeveralWaysConfig: hidden must list positive layer sizes, got "
                             f"{self.hidden!r}")

    def train_config(self, head: HeadKind) -> TrainConfig:
        """How the clone with `head` trains: the same for every head but the head."""
        return TrainConfig(head=head, steps=self.steps, hidden=self.hidden, seed=self.seed,
                           device=self.device, log_every=max(1, self.steps // 20))


@dataclass(frozen=True, kw_only=True)
class SeveralWaysProgress:
    """Which clone trains or plays, and how much of the whole job is done."""

    stage: Literal["train", "rollout"]
    head: str
    done: int
    """Work done, in training steps (a rollout episode counts as a fixed number of them)."""
    total: int
    train: TrainProgress | None = None
    """The clone's training record (stage "train")."""


@dataclass(frozen=True, kw_only=True)
class Rollout:
    """One episode a clone played deterministically from a reset seed."""

    head: str
    seed: int
    positions: np.ndarray
    """(T + 1, 2) where the agent was at each step (`positions`)."""
    episode_return: float
    success: bool
    """The episode ended on its own (PointMaze: the ball reached the goal), not by the limit."""


@dataclass(frozen=True, kw_only=True)
class SeveralWaysResult:
    """The trained clones and their paired rollouts (those done before a cancel)."""

    env_id: str
    clones: Mapping[str, Policy]
    rollouts: tuple[Rollout, ...]
    walls: tuple[Rect, ...]
    """The maze's wall cells in the positions' units (empty for an env without a maze)."""
    neighbours: DemoNeighbours | None
    """The demos, searchable in the Gaussian clone's input space (None before it trained)."""
    cancelled: bool

    def rollouts_of(self, head: str) -> tuple[Rollout, ...]:
        """The rollouts of one clone, in seed order."""
        return tuple(rollout for rollout in self.rollouts if rollout.head == head)

    def success_rate(self, head: str) -> float:
        """Share of the clone's rollouts that ended on their own (NaN before any)."""
        played = self.rollouts_of(head)
        return float(np.mean([r.success for r in played])) if played else float("nan")


def check_box_actions(space: gym.Space, env_id: str) -> None:
    """ValueError in one line unless the actions are continuous (the heads differ only there)."""
    if not isinstance(space, gym.spaces.Box):
        raise ValueError(f"{env_id} has {type(space).__name__} actions: the Several ways view "
                         "compares heads for continuous (Box) actions, such as "
                         "PointMaze_TwoWays-v3's force")


def several_ways(
    config: SeveralWaysConfig,
    dataset: DatasetLike,
    *,
    cancel: CancelCheck | None = None,
) -> Generator[SeveralWaysProgress, None, SeveralWaysResult]:
    """Train a clone per head in `HEADS` on all of `dataset`, then play the Gaussian and the
    mixture clone from the same `config.rollouts` reset seeds. The demos come back searchable
    in the first clone's input space (`SeveralWaysResult.neighbours`).

    A cancel during training returns the clones done so far and no rollouts; during the
    rollouts, every clone and the rollouts played.
    """
    check_box_actions(dataset.action_space, dataset.env_id)
    stopped = cancel_check(cancel)
    data = TransitionSet.from_dataset(dataset)  # read once for every clone
    total = len(HEADS) * config.steps + config.rollouts * len(ROLLOUT_HEADS) * _STEPS_PER_EPISODE
    clones: dict[str, Policy] = {}
    neighbours: DemoNeighbours | None = None
    env = make_env(dataset.env_id)
    try:
        walls = maze_walls(env)
        for index, head in enumerate(HEADS):
            def record(train: TrainProgress, index: int = index,
                       head: str = head) -> SeveralWaysProgress:
                return SeveralWaysProgress(stage="train", head=head, train=train, total=total,
                                           done=index * config.steps + train.step)

            trained = yield from relay(train_bc(config.train_config(head), data, cancel=cancel),
                                       record)
            if trained.cancelled:
                return SeveralWaysResult(env_id=dataset.env_id, clones=clones, rollouts=(),
                                         walls=walls, neighbours=neighbours, cancelled=True)
            clones[head] = trained.policy
            if neighbours is None:
                neighbours = DemoNeighbours(data, trained.policy)
        rollouts: list[Rollout] = []
        for episode in range(config.rollouts):
            for head in ROLLOUT_HEADS:
                if stopped():
                    return SeveralWaysResult(env_id=dataset.env_id, clones=clones,
                                             rollouts=tuple(rollouts), walls=walls,
                                             neighbours=neighbours, cancelled=True)
                rollouts.append(play(clones[head], env, seed=config.rollout_seed + episode,
                                     head=head))
                done = len(HEADS) * config.steps + len(rollouts) * _STEPS_PER_EPISODE
                yield SeveralWaysProgress(stage="rollout", head=head, done=done, total=total)
    finally:
        env.close()
    for head in ROLLOUT_HEADS:
        log.info("%s clone: %d of %d rollouts reached the end", head,
                 sum(r.success for r in rollouts if r.head == head), config.rollouts)
    return SeveralWaysResult(env_id=dataset.env_id, clones=clones, rollouts=tuple(rollouts),
                             walls=walls, neighbours=neighbours, cancelled=False)


def play(policy: Policy, env: gym.Env, *, seed: int, head: str) -> Rollout:
    """One deterministic episode of `policy` in `env` from reset seed `seed`."""
    agent = PolicyAgent(policy, deterministic=True, seed=seed)
    observation, _ = env.reset(seed=seed)
    rows = [flatten_observation(env.observation_space, observation)]
    episode_return, terminated, truncated = 0.0, False, False
    while not (terminated or truncated):
        observation, reward, terminated, truncated, _ = env.step(agent.act(observation))
        rows.append(flatten_observation(env.observation_space, observation))
        episode_return += float(reward)
    return Rollout(head=head, seed=seed, positions=positions(env.observation_space,
                                                             np.stack(rows)),
                   episode_return=episode_return, success=bool(terminated))


def positions(observation_space: gym.Space, rows: np.ndarray) -> np.ndarray:
    """(N, 2) where the agent is in each flat observation row: a Dict's "achieved_goal" (the
    ball of PointMaze), else the first two values."""
    start = 0
    if isinstance(observation_space, gym.spaces.Dict):
        for key, space in observation_space.spaces.items():
            if key == _POSITION_KEY:
                break
            start += gym.spaces.flatdim(space)
        else:
            start = 0
    flat = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    return flat[:, start:start + 2]


def maze_walls(env: gym.Env) -> tuple[Rect, ...]:
    """The wall cells of a gymnasium-robotics maze env, as rectangles; () for another env."""
    maze = getattr(env.unwrapped, "maze", None)
    if maze is None or not hasattr(maze, "maze_map"):
        return ()
    size = float(maze.maze_size_scaling)
    walls = []
    for row, cells in enumerate(maze.maze_map):
        for column, cell in enumerate(cells):
            if cell == 1:
                x, y = maze.cell_rowcol_to_xy(np.array([row, column]))
                walls.append((float(x) - size / 2, float(y) - size / 2, size, size))
    return tuple(walls)


@dataclass(frozen=True, kw_only=True)
class Neighbours:
    """The demo states nearest to a chosen one, nearest first."""

    rows: np.ndarray
    """Row numbers in the demos."""
    episode_ids: np.ndarray
    actions: np.ndarray
    """(k, action size) the demos' actions there, flat."""
    distances: np.ndarray
    """Euclidean distances in the clone's normalised input space."""


class DemoNeighbours:
    """The demos' states, searchable by closeness to a state as a clone sees it (its inputs,
    centred and scaled by the training data's statistics, so no feature dominates by its
    units)."""

    def __init__(self, data: TransitionSet, policy: Policy) -> None:
        self._policy = policy
        self.observations = data.observations
        self.actions = data.actions.reshape(len(data), -1)
        self.episode_column = data.episode_column
        self._points = self.inputs(data.observations)

    @torch.inference_mode()
    def inputs(self, observations: np.ndarray) -> np.ndarray:
        """(N, F) flat observation rows as the clone's torso reads them."""
        tensor = self._policy.as_tensor(np.asarray(observations, dtype=np.float32))
        return self._policy.normalise(tensor).cpu().numpy()

    def nearest(self, observation: np.ndarray, k: int, *,
                exclude_episode: int | None = None) -> Neighbours:
        """The `k` demo states nearest to one flat observation row, spread over the episodes
        (no episode gives more than its share, k over the episodes left, rounded up: the
        next steps of one episode would say only what that episode did), leaving out
        `exclude_episode` (the chosen state's own)."""
        point = self.inputs(np.asarray(observation)[None])[0]
        distances = np.linalg.norm(self._points - point, axis=1)
        if exclude_episode is not None:
            distances = np.where(self.episode_column == exclude_episode, np.inf, distances)
        candidates = np.isfinite(distances)
        episodes = len(np.unique(self.episode_column[candidates]))
        share = -(-k // max(1, episodes))
        order = np.argsort(distances, kind="stable")[:int(candidates.sum())]
        # Rank of each row within its episode, nearest first: keep the first `share`.
        ranks = np.zeros(len(order), dtype=np.int64)
        taken: dict[int, int] = {}
        for position, row in enumerate(order):
            episode = int(self.episode_column[row])
            ranks[position] = taken.get(episode, 0)
            taken[episode] = ranks[position] + 1
        rows = order[ranks < share][:k]
        return Neighbours(rows=rows, episode_ids=self.episode_column[rows],
                          actions=self.actions[rows], distances=distances[rows])


@torch.inference_mode()
def head_densities(clones: Mapping[str, Policy],
                   observation: np.ndarray) -> dict[str, ActionDensity]:
    """Each clone's action distribution (env units, on the CPU) at one flat observation row."""
    densities: dict[str, ActionDensity] = {}
    for head, policy in clones.items():
        batch = policy.as_tensor(np.asarray(observation, dtype=np.float32)[None])
        densities[head] = policy.action_density(batch).to("cpu")
    return densities


def marginal_density(density: ActionDensity, dims: tuple[int, ...],
                     points: np.ndarray) -> np.ndarray:
    """(S,) density of the action dimensions `dims` together (the others integrated out) at
    (S, len(dims)) points, for the first state of `density`'s batch."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, len(dims))
    index = list(dims)
    if isinstance(density, MixtureDensity):
        part = MixtureDensity(density.weights[:1].double(),
                              density.means[:1, :, index].double(),
                              density.stds[:1, :, index].double())
        return part.log_prob(torch.as_tensor(points)[:, None, :]).exp()[:, 0].numpy()
    assert isinstance(density, BinDensity)
    edges, heights = density.edges.double().numpy(), density.heights()[0].double().numpy()
    result = np.ones(len(points))
    for column, dim in enumerate(dims):
        bins = np.searchsorted(edges[dim], points[:, column], side="right") - 1
        inside = (bins >= 0) & (bins < heights.shape[-1])
        result *= np.where(inside, heights[dim][np.clip(bins, 0, heights.shape[-1] - 1)], 0.0)
    return result

