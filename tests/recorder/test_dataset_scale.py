"""Recording that stays fast: 10,000 commits through the public writer, each doing the work the
first ones did, a result Minari reads, and SIGKILL safety at that size.

A commit's work is counted, not timed (its wall time follows the machine's load; the timings
are `bench/recording_scale.py`'s): the Python steps it runs and the bytes it reads and writes.
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import minari
import numpy as np
import pytest

from clonelab.recorder.dataset import DemoDataset
from tests.recorder.crash_writer import (
    CRASH_ENV_ID,
    DISCRETE_ACTIONS,
    VECTOR_SPACE,
    synthetic_episode,
)
from tests.recorder.test_dataset_crash import kill_and_reopen

EPISODES = 10_000
WINDOW = 1_000
SAMPLES = 20
"""Commits counted in each of the first and the last WINDOW (counting slows a commit down)."""
PROC_IO = Path("/proc/self/io")


@dataclass(frozen=True)
class CommitWork:
    """What one commit did: Python trace events, and bytes and system calls of file I/O."""

    python_events: int
    io_bytes: int
    io_calls: int


def _io_counters() -> tuple[int, int]:
    """(bytes read and written, read and write calls) by this process so far; zeros where the
    system does not count them (Linux does)."""
    if not PROC_IO.exists():
        return 0, 0
    counters = dict(line.split(": ") for line in PROC_IO.read_text().splitlines())
    return (int(counters["rchar"]) + int(counters["wchar"]),
            int(counters["syscr"]) + int(counters["syscw"]))


def counted_append(dataset: DemoDataset, episode: Any) -> CommitWork:
    """Append one episode, counting the work it took."""
    events = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal events
        events += 1
        return trace

    bytes_before, calls_before = _io_counters()
    sys.settrace(trace)
    try:
        dataset.append(episode)
    finally:
        sys.settrace(None)
    bytes_after, calls_after = _io_counters()
    return CommitWork(events, bytes_after - bytes_before, calls_after - calls_before)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[CommitWork],
                                                                   list[CommitWork]]:
    """10,000 five-step episodes committed one by one, with the work of SAMPLES commits
    among the first WINDOW and of SAMPLES among the last."""
    path = tmp_path_factory.mktemp("scale") / "scale-v0"
    dataset = DemoDataset.create(path, env_id=CRASH_ENV_ID, observation_space=VECTOR_SPACE,
                                 action_space=DISCRETE_ACTIONS)
    episodes = [synthetic_episode(seed, 5) for seed in range(50)]
    stride = WINDOW // SAMPLES
    first: list[CommitWork] = []
    last: list[CommitWork] = []
    with pytest.MonkeyPatch.context() as patch:
        # The disk's flushes only slow the suite; the kills below need none (the page cache
        # outlives a killed process).
        patch.setattr(os, "fsync", lambda fd: None)
        commit_all(dataset, episodes, stride, first, last)
    dataset.close()
    return path, first, last


def commit_all(dataset: DemoDataset, episodes: list[Any], stride: int,
               first: list[CommitWork], last: list[CommitWork]) -> None:
    """Commit EPISODES episodes, counting every stride-th one's work in the first and last
    WINDOW."""
    for number in range(EPISODES):
        episode = episodes[number % len(episodes)]
        if number % stride == stride // 2 and number < WINDOW:
            first.append(counted_append(dataset, episode))
        elif number % stride == stride // 2 and number >= EPISODES - WINDOW:
            last.append(counted_append(dataset, episode))
        else:
            dataset.append(episode)


def test_a_commit_does_the_same_work_at_ten_thousand_episodes(recorded, monkeypatch):
    path, first, last = recorded
    # Medians: a garbage collection or another thread's I/O during one counted commit is an
    # outlier, not a trend. The Python steps are the same at both ends; the I/O grows by the
    # digits of the journal's ids and totals.
    def median(field: str, works: list[CommitWork]) -> float:
        return statistics.median(getattr(work, field) for work in works)

    assert median("python_events", last) <= median("python_events", first), (first, last)
    assert median("io_calls", last) <= median("io_calls", first), (first, last)
    assert median("io_bytes", last) <= 1.1 * median("io_bytes", first), (first, last)

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(path.parent))
    loaded = minari.load_dataset(path.name)
    assert loaded.total_episodes >= EPISODES  # (the crash test below may add a few)
    for episode in loaded.iterate_episodes([0, EPISODES - 1]):
        np.testing.assert_array_equal(
            episode.actions, synthetic_episode(episode.id % 50, 5).actions)


def test_sigkill_at_ten_thousand_episodes_keeps_every_committed_episode(recorded):
    path, _, _ = recorded
    committed = {episode_id: episode_id % 50 for episode_id in range(EPISODES)}
    seed = EPISODES
    # A kill mid-commit leaves journal lines Minari's files lack; opened under the lock, they
    # stay there for the next writer's open to sync, which the kills after "opening" land in.
    for delay, big, sync in [(0.0, True, False), (0.3, None, True), (0.004, False, False),
                             (0.8, None, True), (0.02, True, True)]:
        seed = kill_and_reopen(path, committed, seed, delay, big, sync=sync)
    assert sorted(committed) == list(range(len(committed)))  # no id was handed out twice
