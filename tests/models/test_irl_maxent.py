"""MaxEnt IRL on small grids: the learned reward makes the demos' shortest paths optimal."""

from __future__ import annotations

import threading
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from clonelab.models.irl import IRLError
from clonelab.models.irl.maxent import (
    MaxEntConfig,
    MaxEntResult,
    expected_visits,
    soft_policies,
    train_maxent,
)
from clonelab.models.irl.tabular import (
    TabularMDP,
    dataset_demos,
    frozen_lake_demos,
    frozen_lake_mdp,
    goal_states,
    greedy_path,
    minigrid_demos,
    minigrid_mdp,
    shortest_steps,
    value_iteration,
)
from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import make_expert
from clonelab.recorder.jobs import drain
from tests.models.demos import record_expert_dataset


def assert_shortest_paths_to_goal(mdp: TabularMDP, result: MaxEntResult, starts: set[int]
                                  ) -> None:
    """From every start, the greedy plan under the learned reward walks a shortest path."""
    for start in starts:
        path = greedy_path(mdp, result.plan, start)
        end = tuple(mdp.state_cells[path[-1]].tolist())
        assert end in mdp.goal_cells, (start, path)
        assert len(path) - 1 == shortest_steps(mdp, start), (start, path)


@pytest.mark.parametrize("map_name", ["4x4", "8x8"])
def test_frozen_lake_reward_makes_the_demo_path_optimal(map_name: str) -> None:
    env = gym.make("FrozenLake-v1", is_slippery=False, map_name=map_name)
    mdp = frozen_lake_mdp(env)
    demos = frozen_lake_demos(env, mdp, episodes=1, seed=0)
    assert len(demos[0]) - 1 == shortest_steps(mdp, int(demos[0][0]))  # the helper's demo

    result = drain(train_maxent(mdp, demos))

    assert_shortest_paths_to_goal(mdp, result, {int(demos[0][0])})
    # The zero reward it starts from makes all actions equally good: that plan goes nowhere.
    idle = greedy_path(mdp, value_iteration(mdp, np.zeros(mdp.n_states)), int(demos[0][0]),
                       max_steps=50)
    assert tuple(mdp.state_cells[idle[-1]].tolist()) not in mdp.goal_cells
    goal_row, goal_col = np.argwhere(env.unwrapped.desc == b"G")[0]
    assert result.reward_grid[goal_row, goal_col] == np.nanmax(result.reward_grid)


def test_minigrid_reward_gives_shortest_paths_from_every_demo_start() -> None:
    # Random start cells and headings, so the demos start in many states.
    env = make_env("MiniGrid-Empty-5x5-v0", agent_start_pos=None)
    env.reset(seed=0)
    mdp = minigrid_mdp(env)
    expert = make_expert(env)
    demos = minigrid_demos(env, mdp, lambda: expert.act(None), episodes=10, seed=0)
    starts = {int(states[0]) for states in demos}
    assert len(starts) >= 5

    result = drain(train_maxent(mdp, demos, MaxEntConfig(iterations=200)))

    assert_shortest_paths_to_goal(mdp, result, starts)
    assert result.reward_grid.shape == (5, 5)
    assert np.isnan(result.reward_grid[0]).all() and np.isnan(result.reward_grid[:, 0]).all()
    assert np.isfinite(result.reward_grid[1:4, 1:4]).all()
    assert np.nanargmax(result.reward_grid) == 3 * 5 + 3  # the goal cell, (3, 3)
    for path, states in zip(result.demo_paths, demos, strict=True):
        assert path.shape == (len(states), 2) and tuple(path[-1]) == (3, 3)


def test_progress_records_and_cancel() -> None:
    env = gym.make("FrozenLake-v1", is_slippery=False)
    mdp = frozen_lake_mdp(env)
    demos = frozen_lake_demos(env, mdp, episodes=1)
    generator = train_maxent(mdp, demos, MaxEntConfig(iterations=50, log_every=20))
    records = []
    while True:
        try:
            records.append(next(generator))
        except StopIteration as stop:
            result = stop.value
            break
    assert [r.iteration for r in records] == [20, 40, 50]
    assert result.history == tuple(records) and not result.cancelled
    assert records[-1].feature_gap < records[0].feature_gap
    assert records[-1].log_likelihood > records[0].log_likelihood

    stop = threading.Event()
    generator = train_maxent(mdp, demos, MaxEntConfig(iterations=50, log_every=5), cancel=stop)
    next(generator)
    stop.set()
    cancelled = drain(generator)
    assert cancelled.cancelled and cancelled.metrics.iteration == 5


def test_dataset_demos_replay_recorded_episodes(tmp_path: Path) -> None:
    dataset = record_expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", episodes=2)
    env = make_env("MiniGrid-Empty-5x5-v0")
    env.reset(seed=0)
    mdp = minigrid_mdp(env)
    episodes = [dataset.load_episode(i) for i in dataset.episode_ids]

    demos = dataset_demos(env, mdp, episodes)

    for states, episode in zip(demos, episodes, strict=True):
        assert len(states) == len(episode.actions) + 1
        assert states[0] == mdp.state_of((1, 1), 0)  # the room's fixed start, facing east
        assert tuple(mdp.state_cells[states[-1]]) == (3, 3)


def test_dataset_demos_refuse_episodes_of_another_variant(tmp_path: Path) -> None:
    dataset = record_expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", episodes=3,
                                    seed=1, agent_start_pos=None)
    env = make_env("MiniGrid-Empty-5x5-v0")
    env.reset(seed=0)
    episodes = [dataset.load_episode(i) for i in dataset.episode_ids]
    with pytest.raises(IRLError, match="does not re-simulate"):
        dataset_demos(env, minigrid_mdp(env), episodes)


def test_rooms_with_objects_are_refused() -> None:
    env = make_env("MiniGrid-DoorKey-5x5-v0")
    env.reset(seed=0)
    with pytest.raises(IRLError, match="tabular IRL handles rooms of floor"):
        minigrid_mdp(env)


def test_slippery_frozen_lake_soft_policy_reaches_the_goal_as_often_as_the_demos() -> None:
    # On slippery ice the learned reward is only meaningful for the soft (max-entropy) policy:
    # planning greedily on it lingers on cells the demos slid through (docs/irl.md).
    env = gym.make("FrozenLake-v1", is_slippery=True)
    mdp = frozen_lake_mdp(env)
    demos = frozen_lake_demos(env, mdp, episodes=60, seed=0)
    horizon = max(len(states) for states in demos)  # the env's time limit, as the demos had
    demo_rate = np.mean([tuple(mdp.state_cells[s[-1]]) in mdp.goal_cells for s in demos])
    start = np.eye(mdp.n_states)[int(demos[0][0])]

    def goal_probability(state_reward: np.ndarray) -> float:
        policies = soft_policies(mdp, state_reward, horizon)
        return float(expected_visits(mdp, policies, start)[goal_states(mdp)].sum())

    result = drain(train_maxent(mdp, demos, MaxEntConfig(horizon=horizon)))

    assert 0.6 < demo_rate < 0.9
    assert abs(goal_probability(result.state_reward) - demo_rate) < 0.15
    assert goal_probability(np.zeros(mdp.n_states)) < 0.1  # a random walk rarely gets there
