"""The Several ways job on a tiny PointMaze_TwoWays-v3 dataset: neighbours that go both ways, a
distribution per head, and paired rollouts from the same seeds."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.action_density import BinDensity, MixtureDensity
from clonelab.models.expert_demos import record_expert
from clonelab.models.failures.several_ways import (
    HEADS,
    DemoNeighbours,
    SeveralWaysConfig,
    SeveralWaysProgress,
    TransitionSet,
    head_densities,
    marginal_density,
    several_ways,
)
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from clonelab.recorder.maze_envs import TWO_WAYS_ID
from tests.models.fakes import FakeDataset, FakeEpisode

TINY = SeveralWaysConfig(steps=60, hidden=(16,), rollouts=1, neighbours=6, device="cpu")


@pytest.fixture(scope="module")
def maze(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    return record_expert(Path(tmp_path_factory.mktemp("maze")) / "maze", TWO_WAYS_ID,
                         seeds=range(8))


@pytest.fixture(scope="module")
def run(maze: DemoDataset) -> tuple[list[SeveralWaysProgress], object]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        records: list[SeveralWaysProgress] = []
        job = several_ways(TINY, maze)
        while True:
            try:
                records.append(next(job))
            except StopIteration as stop:
                return records, stop.value
    finally:
        torch.set_num_threads(threads)


def test_the_demos_near_a_start_go_both_ways_round_the_block(run, maze) -> None:
    _, result = run
    data = TransitionSet.from_dataset(maze)
    neighbours = result.neighbours  # in the Gaussian clone's input space
    assert isinstance(neighbours, DemoNeighbours)
    start = data.observations[np.flatnonzero(data.episode_column == 0)[0]]
    near = neighbours.nearest(start, 6, exclude_episode=0)
    assert 0 not in near.episode_ids and len(near.rows) == 6
    assert len(set(near.episode_ids.tolist())) == 6  # one state per other episode
    assert np.all(np.diff(near.distances) >= 0)
    sideways = near.actions[:, 0]  # the force along x: -1 round the left, +1 round the right
    assert (sideways < -0.5).any() and (sideways > 0.5).any()
    assert np.all(np.abs(sideways) > 0.5)  # two groups, nothing in between


def test_every_head_gives_its_distribution_at_a_state(run, maze) -> None:
    _, result = run
    assert tuple(result.clones) == HEADS
    observation = TransitionSet.from_dataset(maze).observations[0]
    densities = head_densities(result.clones, observation)
    assert isinstance(densities["gaussian"], MixtureDensity)
    assert densities["gaussian"].weights.shape == (1, 1)
    assert isinstance(densities["mixture"], MixtureDensity)
    assert densities["mixture"].weights.shape[1] > 1
    assert isinstance(densities["discretised"], BinDensity)
    # Each joint density over the 2-D force integrates to about 1 over the action box.
    axis = np.linspace(-3, 3, 241)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    cell = (axis[1] - axis[0]) ** 2
    for head, density in densities.items():
        mass = marginal_density(density, (0, 1), grid).sum() * cell
        assert mass == pytest.approx(1.0, abs=0.05), head


def test_the_gaussian_and_the_mixture_clone_play_from_the_same_seeds(run) -> None:
    records, result = run
    assert not result.cancelled
    assert [r.head for r in result.rollouts] == ["gaussian", "mixture"]
    assert {r.seed for r in result.rollouts} == {TINY.rollout_seed}
    first = [r.positions[0] for r in result.rollouts]
    np.testing.assert_allclose(first[0], first[1])  # the same start
    assert all(len(r.positions) > 1 for r in result.rollouts)
    assert len(result.walls) == 17  # the 5x5 map's border and the block in the middle
    assert records[-1].done == records[-1].total
    assert [r.done for r in records] == sorted(r.done for r in records)


def test_a_cancel_keeps_the_clones_trained() -> None:
    episodes = [FakeEpisode(np.zeros((6, 2), np.float32), np.zeros((5, 1), np.float32),
                            np.zeros(5, np.float32))]
    dataset = FakeDataset("Pendulum-v1", gym.spaces.Box(-1, 1, (2,), np.float32),
                          gym.spaces.Box(-1, 1, (1,), np.float32), episodes)
    calls = iter(range(1000))
    result = drain(several_ways(TINY, dataset, cancel=lambda: next(calls) > 3))
    assert result.cancelled and result.rollouts == ()


def test_discrete_actions_are_refused_in_one_line() -> None:
    dataset = FakeDataset("CartPole-v1", gym.spaces.Box(-1, 1, (4,), np.float32),
                          gym.spaces.Discrete(2), [])
    with pytest.raises(ValueError, match="continuous"):
        drain(several_ways(TINY, dataset))
