"""The streaming reader: every row once a pass, histories as in memory, a bounded buffer."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from clonelab.models.data import TrainingError
from clonelab.models.observations import ObservationPipeline
from clonelab.models.streaming import StreamedBatches, preprocessed_bytes
from clonelab.recorder.dataset import DemoDataset
from tests.recorder.crash_writer import DISCRETE_ACTIONS, VECTOR_SPACE, synthetic_episode

LENGTHS = (50, 70, 30, 90, 60)


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """Episodes whose observation says where it is: (episode, step, 0, 0)."""
    dataset = DemoDataset.create(tmp_path_factory.mktemp("stream") / "counted",
                                 env_id="Synthetic-v0", observation_space=VECTOR_SPACE,
                                 action_space=DISCRETE_ACTIONS)
    for episode, steps in enumerate(LENGTHS):
        observations = np.zeros((steps + 1, 4), np.float32)
        observations[:, 0] = episode
        observations[:, 1] = np.arange(steps + 1)
        dataset.append(dataclasses.replace(synthetic_episode(episode, steps),
                                           observations=observations,
                                           actions=np.arange(steps) % 3))
    return dataset


def _rows(stream: StreamedBatches, count: int) -> list[tuple[int, int]]:
    """(episode, step) of the next `count` rows drawn; checks each action against its step."""
    seen: list[tuple[int, int]] = []
    while len(seen) < count:
        observations, actions = stream.next_batch()
        last = observations.numpy()[:, -4:]
        assert np.array_equal(actions.numpy(), last[:, 1].astype(int) % 3)
        seen += [(int(e), int(t)) for e, t, _, _ in last]
    return seen


def test_every_row_is_drawn_once_a_pass(counted: DemoDataset) -> None:
    stream = StreamedBatches(counted, ObservationPipeline(), counted.episode_ids, batch_size=25,
                             buffer_bytes=2 * 70 * 16, seed=0)
    try:
        drawn = Counter(_rows(stream, 3 * sum(LENGTHS)))
    finally:
        stream.close()
    every_row = {(e, t) for e, steps in enumerate(LENGTHS) for t in range(steps)}
    assert set(drawn) == every_row
    # Three passes' worth of draws: each row two to four times (passes overlap at their ends).
    assert set(drawn.values()) <= {2, 3, 4}
    assert sum(drawn.values()) >= 3 * sum(LENGTHS)


def test_batches_mix_episodes_and_change_with_the_seed(counted: DemoDataset) -> None:
    def first_batch(seed: int) -> list[tuple[int, int]]:
        stream = StreamedBatches(counted, ObservationPipeline(), counted.episode_ids,
                                 batch_size=40, buffer_bytes=10**6, seed=seed)
        try:
            return _rows(stream, 40)
        finally:
            stream.close()

    batch = first_batch(0)
    assert len({episode for episode, _ in batch}) >= 3
    assert first_batch(0) == batch
    assert first_batch(1) != batch


def test_histories_are_built_as_in_memory(counted: DemoDataset) -> None:
    stream = StreamedBatches(counted, ObservationPipeline(history=3), counted.episode_ids,
                             batch_size=32, buffer_bytes=10**6, seed=2)
    try:
        observations, _ = stream.next_batch()
    finally:
        stream.close()
    for row in observations.numpy().reshape(-1, 3, 4):
        episode, step = row[-1, 0], row[-1, 1]
        assert np.array_equal(row[:, 0], [episode] * 3)
        assert np.array_equal(row[:, 1], np.maximum([step - 2, step - 1, step], 0))


def test_the_buffer_stays_within_its_budget(counted: DemoDataset) -> None:
    budget = 100 * 16  # 100 rows of 4 float32
    stream = StreamedBatches(counted, ObservationPipeline(), counted.episode_ids, batch_size=4,
                             buffer_bytes=budget, seed=0)
    try:
        peak = 0
        for _ in range(240):
            stream.next_batch()
            peak = max(peak, stream.held_bytes)
    finally:
        stream.close()
    # The budget plus the episode that crossed it (batches are small next to the budget here).
    assert peak <= budget + max(LENGTHS) * 16
    assert preprocessed_bytes(counted, ObservationPipeline(), counted.episode_ids) == \
        sum(LENGTHS) * 16


def test_only_the_episodes_present_at_the_start_are_read(counted: DemoDataset,
                                                         tmp_path: Path) -> None:
    stream = StreamedBatches(counted, ObservationPipeline(), (0, 2), batch_size=20,
                             buffer_bytes=10**6, seed=0)
    try:
        episodes = {episode for episode, _ in _rows(stream, 200)}
    finally:
        stream.close()
    assert episodes == {0, 2}


def test_a_shift_that_leaves_nothing_is_one_error(counted: DemoDataset) -> None:
    stream = StreamedBatches(counted, ObservationPipeline(), (2,), batch_size=8,
                             buffer_bytes=10**6, seed=0, action_shift=30)
    try:
        with pytest.raises(TrainingError, match="leaves nothing to train on"):
            stream.next_batch()
    finally:
        stream.close()
