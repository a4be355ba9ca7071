"""Crash safety: a writer killed at any moment keeps every committed episode readable."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_io import WriterLock
from tests.recorder.crash_writer import (
    CRASH_ENV_ID,
    crash_episode,
    synthetic_dataset,
    synthetic_episode,
)

WRITER = Path(__file__).with_name("crash_writer.py")

# (delay after the writer announces a commit, whether that commit is a big one). Big commits
# take ~150 ms, so the short delays land mid-write; the long ones land between commits.
INDEX_FILES = ("metadata.json", "main_data.hdf5")
KILLS = [(0.0, True), (0.02, True), (0.06, True), (0.11, True), (0.0, False), (0.004, False),
         (0.3, False)]


def run_writer_until_killed(path: Path, first_seed: int, delay: float, big: bool | None
                            ) -> tuple[dict[int, int], int]:
    """Start the writer, kill it ``delay`` s after it starts committing a chosen episode (big
    or small), or with ``big`` None ``delay`` s after it starts opening the dataset.

    Returns the committed ids (id -> seed) it reported and the seed it was committing.
    """
    writer = subprocess.Popen([sys.executable, str(WRITER), str(path), str(first_seed)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    committed: dict[int, int] = {}
    in_flight = -1
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                pytest.fail(f"the writer stopped on its own: {writer.stderr.read()}")
            words = line.split()
            if words[0] == "opening":
                if big is None:
                    time.sleep(delay)
                    break
            elif words[0] == "committed":
                committed[int(words[1])] = int(words[2])
            elif committed and (int(words[1]) % 3 == 2) == big:
                in_flight = int(words[1])
                time.sleep(delay)
                break
    finally:
        writer.send_signal(signal.SIGKILL)
        rest, _ = writer.communicate()
    for line in rest.splitlines():  # lines flushed before the kill
        words = line.split()
        if words[0] == "committed":
            committed[int(words[1])] = int(words[2])
        elif words[0] == "committing":
            in_flight = int(words[1])
    return committed, in_flight


def kill_and_reopen(path: Path, committed: dict[int, int], seed: int, delay: float,
                    big: bool | None, *, sync: bool = True) -> int:
    """Kill a writer as :func:`run_writer_until_killed` does, open the dataset, and check that
    it holds every episode reported committed (``committed``: id -> seed, updated) plus at most
    the one in flight, the new ones intact, nothing half-written left. The next seed.

    Without ``sync`` the open happens while the writer lock is held, so that it repairs in
    memory only and the next writer's open finds the journal's commits to sync.
    """
    before = set(committed)
    reported, in_flight = run_writer_until_killed(path, seed, delay, big)
    committed.update(reported)

    holder = WriterLock(path / "data" / ".lock")
    assert sync or holder.acquire(blocking=False)
    try:
        dataset = DemoDataset.open(path, env_id=CRASH_ENV_ID)
    finally:
        holder.release()

    assert set(committed) <= set(dataset.episode_ids)
    extra = set(dataset.episode_ids) - set(committed)
    assert len(extra) <= 1  # the commit in flight may have landed before its report
    for episode_id in extra:
        committed[episode_id] = in_flight
    for episode_id in sorted(set(committed) - before):
        loaded = dataset.load_episode(episode_id)
        np.testing.assert_array_equal(
            loaded.observations,
            crash_episode(committed[episode_id], dataset.observation_space).observations)
    if sync:  # temporary files are removed only by a writer holding the lock
        assert not list((path / "data").glob("*.tmp"))
        assert not list((path / "data" / "episodes").glob("*.tmp"))
    assert not (path / "data" / "quarantine").exists()  # no kill left a half-written file
    assert len(dataset) == len(committed)
    return max(seed, in_flight + 1)


def test_sigkill_at_any_moment_keeps_every_committed_episode(tmp_path):
    path = tmp_path / "crash-v0"
    committed: dict[int, int] = {}
    seed = 0
    for delay, big in KILLS:
        seed = kill_and_reopen(path, committed, seed, delay, big)
        dataset = DemoDataset.open(path, env_id=CRASH_ENV_ID)
        for episode_id, episode_seed in committed.items():  # the old ones too, still intact
            np.testing.assert_array_equal(dataset.load_episode(episode_id).observations,
                                          crash_episode(episode_seed).observations)
        assert len(dataset.transitions()) == dataset.total_steps
    assert sorted(committed) == list(range(len(committed)))  # no id was handed out twice
    metadata = json.loads((path / "data" / "metadata.json").read_text())
    assert metadata["total_episodes"] == len(committed)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return synthetic_dataset(tmp_path / "demos", episodes=2, steps=4).path / "data"


def test_episode_committed_but_not_indexed_is_recovered(tmp_path, data_dir):
    old = tmp_path / "old"
    old.mkdir()
    for name in INDEX_FILES:
        shutil.copy2(data_dir / name, old / name)
    DemoDataset.open(data_dir.parent).append(synthetic_episode(7, 5))
    for name in INDEX_FILES:  # as if killed before the index was rewritten
        shutil.copy2(old / name, data_dir / name)

    dataset = DemoDataset.open(data_dir.parent)

    assert dataset.episode_ids == (0, 1, 2)
    assert dataset.episode_info(2).seed == 7
    assert json.loads((data_dir / "metadata.json").read_text())["total_episodes"] == 3
    assert DemoDataset.open(data_dir.parent).append(synthetic_episode(8, 3)) == 3


def test_delete_interrupted_before_the_index_rewrite(data_dir):
    (data_dir / "episodes" / "episode_1.hdf5").unlink()  # the first half of a delete
    dataset = DemoDataset.open(data_dir.parent)
    assert dataset.episode_ids == (0,)
    assert dataset.append(synthetic_episode(5, 3)) == 2


def test_stray_temporary_files_are_removed_on_open(data_dir):
    (data_dir / "episodes" / "episode_2.hdf5.tmp").write_bytes(b"\x89HDF half")
    (data_dir / "metadata.json.tmp").write_text("{")
    dataset = DemoDataset.open(data_dir.parent)
    assert not list(data_dir.rglob("*.tmp"))
    assert dataset.episode_ids == (0, 1)


@pytest.mark.parametrize("lost", INDEX_FILES)
def test_a_lost_index_file_is_rebuilt(data_dir, lost):
    (data_dir / lost).unlink()
    dataset = DemoDataset.open(data_dir.parent)
    assert dataset.episode_ids == (0, 1)
    assert dataset.env_id == "Synthetic-v0"
    assert json.loads((data_dir / "metadata.json").read_text())["total_episodes"] == 2
    with h5py.File(data_dir / "main_data.hdf5", "r") as main:
        np.testing.assert_array_equal(main["episode_1/actions"][()],
                                      synthetic_episode(1, 4).actions)


def test_damaged_unindexed_episode_file_is_set_aside(data_dir):
    (data_dir / "episodes" / "episode_5.hdf5").write_bytes(b"garbage")
    dataset = DemoDataset.open(data_dir.parent)
    assert dataset.episode_ids == (0, 1)
    assert (data_dir / "quarantine" / "episode_5.hdf5").read_bytes() == b"garbage"
    assert dataset.append(synthetic_episode(3, 3)) == 2


def test_open_during_another_writers_commit_changes_nothing(data_dir):
    stray = data_dir / "episodes" / "episode_2.hdf5.tmp"
    stray.write_bytes(b"being written")
    holder = WriterLock(data_dir / ".lock")
    assert holder.acquire(blocking=False)
    try:
        dataset = DemoDataset.open(data_dir.parent)
    finally:
        holder.release()
    assert stray.exists()  # another writer's file in progress is not ours to remove
    assert dataset.episode_ids == (0, 1)
