"""The commit journal (data/episodes.jsonl): what commits append, what a sync writes, and what
opening makes of a journal a kill cut short, damaged, or that an older version never wrote."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from clonelab.recorder.dataset import DemoDataset
from tests.recorder.crash_writer import synthetic_dataset, synthetic_episode


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A closed two-episode dataset."""
    return synthetic_dataset(tmp_path / "demos", episodes=2, steps=4).path


def journal_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "data" / "episodes.jsonl").read_text()
            .splitlines()]


def minari_view(path: Path) -> tuple[int, int]:
    """(total_episodes in metadata.json, links in main_data.hdf5): what Minari reads."""
    metadata = json.loads((path / "data" / "metadata.json").read_text())
    with h5py.File(path / "data" / "main_data.hdf5", "r") as main:
        return metadata["total_episodes"], len(main)


def test_commits_append_lines_and_a_sync_writes_minaris_files(path):
    dataset = DemoDataset.open(path)
    assert [list(line) for line in journal_lines(path)] == [["totals"]]

    dataset.append(synthetic_episode(5, 3))
    dataset.append(synthetic_episode(6, 7))

    lines = journal_lines(path)
    assert [line["episode"]["episode_id"] for line in lines[1:]] == [2, 3]
    assert lines[-1]["totals"]["episodes"] == 4 and lines[-1]["totals"]["steps"] == 4 + 4 + 3 + 7
    assert minari_view(path) == (2, 2)  # as of the last sync
    assert DemoDataset.open(path).episode_ids == (0, 1, 2, 3)  # CloneLab sees every commit

    dataset.close()

    assert minari_view(path) == (4, 4)
    assert [list(line) for line in journal_lines(path)] == [["totals"]]
    assert journal_lines(path)[0]["totals"]["next_episode_id"] == 4


def test_a_dataset_without_a_journal_opens_whole_and_gets_one(path):
    """Datasets written before the journal: metadata.json lists every episode."""
    (path / "data" / "episodes.jsonl").unlink()
    before = json.loads((path / "data" / "metadata.json").read_text())["clonelab"]["episodes"]

    dataset = DemoDataset.open(path)

    assert dataset.episode_ids == (0, 1) and dataset.repair_note is None
    assert journal_lines(path)[0]["totals"]["episodes"] == 2
    assert json.loads((path / "data" / "metadata.json").read_text())["clonelab"][
        "episodes"] == before
    assert dataset.append(synthetic_episode(9, 3)) == 2


def test_a_line_cut_short_by_a_kill_is_ignored_then_cut_off(path):
    dataset = DemoDataset.open(path)
    dataset.append(synthetic_episode(5, 3))
    journal = path / "data" / "episodes.jsonl"
    whole = journal.read_bytes()
    with open(journal, "ab") as file:  # a writer killed mid-append (its episode file is absent)
        file.write(b'{"episode": {"episode_id": 3, "ste')

    assert DemoDataset.open(path).episode_ids == (0, 1, 2)  # the open syncs: line gone
    assert journal.read_bytes().endswith(b"\n")

    with open(journal, "ab") as file:
        file.write(b'{"episode": {"episo')
    # The long-lived writer cuts it off before appending its own line.
    assert dataset.append(synthetic_episode(6, 3)) == 3
    assert [line.get("episode", {}).get("episode_id") for line in journal_lines(path)] == [
        None, 3]
    assert len(whole) > 0 and DemoDataset.open(path).episode_ids == (0, 1, 2, 3)


def test_a_damaged_journal_line_is_rebuilt_from_the_episode_files(path):
    dataset = DemoDataset.open(path)
    dataset.append(synthetic_episode(5, 3))
    journal = path / "data" / "episodes.jsonl"
    journal.write_text(journal.read_text().replace('"steps": 3', '"steps": "three"'))

    reopened = DemoDataset.open(path)

    assert reopened.episode_ids == (0, 1, 2)
    assert reopened.episode_info(2).steps == 3
    assert "episodes.jsonl line 2 is unusable" in (reopened.repair_note or "")


def test_two_writers_see_each_others_commits(path):
    first, second = DemoDataset.open(path), DemoDataset.open(path)
    ids = [writer.append(synthetic_episode(seed, 3 + seed % 2))
           for seed, writer in enumerate([first, second, first, second])]
    assert ids == [2, 3, 4, 5]
    assert first.episode_ids == (0, 1, 2, 3, 4) and second.episode_ids == (0, 1, 2, 3, 4, 5)
    np.testing.assert_array_equal(first.load_episode(3).actions, synthetic_episode(1, 4).actions)


def test_a_commit_killed_after_its_rename_does_not_lose_its_episode_to_the_next(path):
    dataset = DemoDataset.open(path)
    other = DemoDataset.open(path)
    other.append(synthetic_episode(7, 5))  # as if killed before its journal line
    journal = path / "data" / "episodes.jsonl"
    journal.write_text(journal.read_text().splitlines(keepends=True)[0])

    assert dataset.append(synthetic_episode(8, 3)) == 3  # id 2 is taken by the file on disk
    assert dataset.episode_info(2).seed == 7 and dataset.episode_info(3).seed == 8
