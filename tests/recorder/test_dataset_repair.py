"""Repair on open adds only episode files that a commit would accept (one check for both)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset, EpisodeData
from clonelab.recorder.dataset_io import EpisodeMeta, write_episode_group
from tests.recorder.crash_writer import (
    VECTOR_SPACE,
    synthetic_dataset,
    synthetic_episode,
)


def no_steps() -> EpisodeData:
    episode = synthetic_episode(5, 3)
    return EpisodeData(**{**episode.__dict__, "observations": episode.observations[:1],
                          "actions": episode.actions[:0], "rewards": episode.rewards[:0],
                          "terminations": episode.terminations[:0],
                          "truncations": episode.truncations[:0],
                          "timestamps": episode.timestamps[:1], "actors": (), "devices": ()})


def as_many_observations_as_actions() -> EpisodeData:
    episode = synthetic_episode(5, 3)
    return EpisodeData(**{**episode.__dict__, "observations": episode.observations[:3]})


def float_actions() -> EpisodeData:
    episode = synthetic_episode(5, 3)
    return EpisodeData(**{**episode.__dict__, "actions": episode.actions + 0.5})


def action_outside() -> EpisodeData:
    episode = synthetic_episode(5, 3)
    return EpisodeData(**{**episode.__dict__, "actions": np.array([0, 1, 7])})


def nan_reward() -> EpisodeData:
    episode = synthetic_episode(5, 3)
    return EpisodeData(**{**episode.__dict__, "rewards": np.array([0.0, np.nan, 1.0])})


UNFIT = {
    "no-steps": (no_steps, "the episode has no steps"),
    "observation-rows-equal-action-rows": (as_many_observations_as_actions,
                                           "observations has shape (3, 4), expected (4, 4)"),
    "float-actions": (float_actions, "actions have dtype float64, expected int64"),
    "action-outside-the-space": (action_outside, "actions fall outside Discrete(3)"),
    "nan-reward": (nan_reward, "rewards hold NaN or infinite values (first at row 1)"),
}


@pytest.fixture
def dataset_dir(tmp_path) -> Path:
    return synthetic_dataset(tmp_path / "demos", episodes=2, steps=4).path


@pytest.mark.parametrize(("make", "problem"), UNFIT.values(), ids=UNFIT.keys())
def test_repair_sets_aside_what_append_refuses(dataset_dir, make, problem, caplog):
    episode = make()
    before = DemoDataset.open(dataset_dir)
    with pytest.raises(DatasetError) as refused:
        before.append(episode)
    assert problem in str(refused.value)
    fingerprint = before.fingerprint()
    episodes_dir = dataset_dir / "data" / "episodes"
    with h5py.File(episodes_dir / "episode_2.hdf5", "w") as file:  # as if copied in
        write_episode_group(file, episode, observation_space=VECTOR_SPACE,
                            meta=EpisodeMeta(episode_id=2, env_id="Synthetic-v0"))

    dataset = DemoDataset.open(dataset_dir)

    assert dataset.episode_ids == (0, 1)
    assert dataset.fingerprint() == fingerprint
    quarantined = dataset_dir / "data" / "quarantine" / "episode_2.hdf5"
    assert quarantined.exists()  # set aside, never deleted
    assert any(problem in record.getMessage() and "episode_2.hdf5" in record.getMessage()
               for record in caplog.records if record.levelname == "WARNING")
    assert dataset.repair_note is not None and "1 set aside" in dataset.repair_note
    listed = json.loads((dataset_dir / "data" / "metadata.json").read_text())
    assert listed["total_episodes"] == 2
    assert dataset.append(synthetic_episode(3, 3)) == 2
    assert quarantined.exists()
