"""TrainConfig.action_shift: observation t trains on action t + shift of the same episode."""

from __future__ import annotations

import logging

import gymnasium as gym
import numpy as np
import pytest

from clonelab.models.data import TrainingError
from clonelab.models.observations import ObservationPipeline
from clonelab.models.train_inputs import load_inputs
from clonelab.models.training import TrainConfig
from tests.models.fakes import FakeDataset, FakeEpisode


def _counting(*lengths: int) -> FakeDataset:
    """Episodes whose observation and action at step t are both 100 * episode + t."""
    episodes = []
    for index, length in enumerate(lengths):
        steps = 100.0 * index + np.arange(length + 1, dtype=np.float32)
        episodes.append(FakeEpisode(observations=steps[:, None],
                                    actions=steps[:-1].astype(np.int64) % 7,
                                    rewards=np.ones(length, dtype=np.float32)))
    space = gym.spaces.Box(-1e4, 1e4, (1,), np.float32)
    return FakeDataset("Counting-v0", space, gym.spaces.Discrete(7), episodes)


def test_each_observation_is_paired_with_the_action_shift_steps_later() -> None:
    inputs = load_inputs(_counting(6, 4), ObservationPipeline(), action_shift=2)
    steps = inputs.observations[:, 0].astype(np.int64)
    # The last 2 rows of each episode drop; nothing crosses from one episode into the next.
    np.testing.assert_array_equal(steps, [0, 1, 2, 3, 100, 101])
    np.testing.assert_array_equal(inputs.actions, (steps + 2) % 7)
    np.testing.assert_array_equal(inputs.episode_ids, [0, 0, 0, 0, 1, 1])


def test_no_shift_keeps_every_row() -> None:
    inputs = load_inputs(_counting(3, 2), ObservationPipeline())
    np.testing.assert_array_equal(inputs.observations[:, 0], [0, 1, 2, 100, 101])


def test_episodes_no_longer_than_the_shift_are_skipped_in_one_line(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        inputs = load_inputs(_counting(6, 3, 2), ObservationPipeline(), action_shift=3)
    np.testing.assert_array_equal(inputs.episode_ids, [0, 0, 0])
    assert [r.getMessage() for r in caplog.records] == [
        "action shift 3: skipped 2 episode(s) of 3 steps or fewer (ids 1, 2)"]


def test_a_shift_that_leaves_nothing_is_refused() -> None:
    with pytest.raises(TrainingError, match="choose a shift of at most 3"):
        load_inputs(_counting(4, 2), ObservationPipeline(), action_shift=4)


def test_a_history_reads_back_within_the_shifted_episode() -> None:
    # History and shift together: rows t-2..t of observation t, action t + 1.
    inputs = load_inputs(_counting(5), ObservationPipeline(history=3), action_shift=1)
    assert len(inputs.actions) == 4 and inputs.actions[0] == 1


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_train_config_refuses_a_shift_that_is_not_a_step_count(bad: object) -> None:
    with pytest.raises(ValueError, match="action_shift must be a whole number"):
        TrainConfig(action_shift=bad)  # type: ignore[arg-type]


def test_a_shift_longer_than_all_the_rows_is_refused_too() -> None:
    # 6 rows, a shift of 8: clonelab train said "operands could not be broadcast" here.
    with pytest.raises(TrainingError, match="choose a shift of at most 3"):
        load_inputs(_counting(4, 2), ObservationPipeline(), action_shift=8)
