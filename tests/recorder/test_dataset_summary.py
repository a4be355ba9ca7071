"""`clonelab info`'s data: the totals every commit keeps, read without opening an episode file."""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_summary import DatasetSummary, quick_summary
from tests.recorder.crash_writer import synthetic_dataset, synthetic_episode


@pytest.fixture
def dataset(tmp_path) -> DemoDataset:
    """Three closed episodes, then two more committed (not synced), one deleted."""
    dataset = synthetic_dataset(tmp_path / "demos", episodes=3, steps=4)
    dataset.append(synthetic_episode(10, 6))
    dataset.append(synthetic_episode(11, 2))
    dataset.delete_episode(1)
    dataset.append(synthetic_episode(12, 5))
    return dataset


def test_the_totals_are_those_of_the_episodes(dataset):
    summary = quick_summary(dataset.path)
    assert summary is not None
    infos = [dataset.episode_info(episode_id) for episode_id in dataset.episode_ids]
    returns = np.array([info.episode_return for info in infos])
    totals = summary.totals
    assert (totals.episodes, totals.steps) == (5, 4 + 4 + 6 + 2 + 5)
    assert totals.return_mean == pytest.approx(returns.mean())
    assert totals.return_std == pytest.approx(returns.std())
    assert (totals.return_min, totals.return_max) == (returns.min(), returns.max())
    assert summary.actors == ["expert", "human"]
    assert summary.env_id == "Synthetic-v0"
    assert summary.observation_space == dataset.observation_space
    assert summary == DatasetSummary.of(DemoDataset.open(dataset.path))


def test_no_episode_file_is_read(dataset):
    for episode_file in (dataset.path / "data" / "episodes").iterdir():
        episode_file.write_bytes(b"")  # unreadable: only the index can answer
    summary = quick_summary(dataset.path)
    assert summary is not None and summary.totals.episodes == 5


@pytest.mark.parametrize("change", ["extra-file", "half-written", "no-metadata", "no-journal"])
def test_it_defers_to_opening_when_the_folder_says_otherwise(dataset, change):
    data = dataset.path / "data"
    if change == "extra-file":  # a commit killed before its journal line
        (data / "episodes" / "episode_9.hdf5").write_bytes(b"")
    elif change == "half-written":
        (data / "episodes" / "episode_9.hdf5.1234.tmp").write_bytes(b"")
    elif change == "no-metadata":
        (data / "metadata.json").unlink()
    else:
        (data / "episodes.jsonl").unlink()
    assert quick_summary(dataset.path) is None
