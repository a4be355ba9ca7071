"""Training inputs from a recorded image dataset: read and converted a chunk at a time."""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.models import train_inputs
from clonelab.models.observations import ObservationPipeline, preprocess_frames
from clonelab.models.train_inputs import episode_chunks, load_inputs
from clonelab.models.training import TrainConfig, TrainingError, train_bc
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode_selection import EpisodeSubset
from clonelab.recorder.jobs import drain
from tests.recorder.crash_writer import DISCRETE_ACTIONS, IMAGE_SPACE, synthetic_episode

PIPELINE = ObservationPipeline(size=(12, 12), grey=True, history=2)


def _frames(tmp_path, steps: tuple[int, ...]) -> DemoDataset:
    dataset = DemoDataset.create(tmp_path / "frames", env_id="Frames-v0",
                                 observation_space=IMAGE_SPACE, action_space=DISCRETE_ACTIONS)
    for seed, count in enumerate(steps):
        dataset.append(synthetic_episode(seed, count, IMAGE_SPACE, DISCRETE_ACTIONS))
    return dataset


def test_an_episode_is_read_a_bounded_chunk_of_raw_frames_at_a_time(tmp_path) -> None:
    dataset = _frames(tmp_path, (70,))
    chunks = list(episode_chunks(dataset, 0, PIPELINE, rows=32))
    assert [len(chunk.actions) for chunk in chunks] == [32, 32, 6]
    # The Train tab's selection reads the same way.
    subset = EpisodeSubset(dataset, [0])
    assert [len(c.actions) for c in episode_chunks(subset, 0, PIPELINE, rows=32)] == [32, 32, 6]
    whole = dataset.transitions([0])
    np.testing.assert_array_equal(np.concatenate([c.observations for c in chunks]),
                                  preprocess_frames(PIPELINE, whole.observations))
    np.testing.assert_array_equal(np.concatenate([c.actions for c in chunks]), whole.actions)


def test_chunked_inputs_equal_a_whole_read_and_train(tmp_path, monkeypatch) -> None:
    dataset = _frames(tmp_path, (40, 17, 33))
    monkeypatch.setattr(train_inputs, "READ_ROWS", 16)
    inputs = load_inputs(dataset, PIPELINE)
    whole = dataset.transitions()
    assert inputs.observations.dtype == np.uint8 and inputs.observations.shape == (90, 12, 12, 1)
    np.testing.assert_array_equal(inputs.observations,
                                  preprocess_frames(PIPELINE, whole.observations))
    for name in ("actions", "rewards", "episode_ids"):
        np.testing.assert_array_equal(getattr(inputs, name), getattr(whole, name))
    config = TrainConfig(steps=3, hidden=(8,), device="cpu", history=2, frame_size=(12, 12),
                         colour="grey")
    assert drain(train_bc(config, dataset)).policy.spec.input_shape == (12, 12, 2)


def test_a_dataset_without_steps_is_refused_in_one_line(tmp_path) -> None:
    empty = DemoDataset.create(tmp_path / "empty", env_id="Frames-v0",
                               observation_space=IMAGE_SPACE, action_space=DISCRETE_ACTIONS)
    with pytest.raises(TrainingError, match="has no steps"):
        load_inputs(empty, PIPELINE)
