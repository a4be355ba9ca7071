"""Recording that stays fast: 10,000 commits through the public writer, each costing what the
first ones cost, a result Minari reads, and SIGKILL safety at that size."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

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


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[float]]:
    """10,000 five-step episodes committed one by one, and each commit's seconds."""
    path = tmp_path_factory.mktemp("scale") / "scale-v0"
    dataset = DemoDataset.create(path, env_id=CRASH_ENV_ID, observation_space=VECTOR_SPACE,
                                 action_space=DISCRETE_ACTIONS)
    episodes = [synthetic_episode(seed, 5) for seed in range(50)]
    fsync = os.fsync
    os.fsync = lambda fd: None  # the disk's latency is the same at any size and only adds noise
    try:
        times = []
        for number in range(EPISODES):
            started = time.perf_counter()
            dataset.append(episodes[number % len(episodes)])
            times.append(time.perf_counter() - started)
    finally:
        os.fsync = fsync
    dataset.close()
    return path, times


def test_a_commit_costs_the_same_at_ten_thousand_episodes(recorded, monkeypatch):
    path, times = recorded
    # Medians: a commit that waited on another process is an outlier, not a trend.
    first, last = statistics.median(times[:WINDOW]), statistics.median(times[-WINDOW:])
    assert last / first < 1.3, f"first {WINDOW}: {first * 1e3:.2f} ms, last: {last * 1e3:.2f} ms"

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(path.parent))
    loaded = minari.load_dataset(path.name)
    assert loaded.total_episodes >= EPISODES  # (the crash test below may add a few)
    for episode in loaded.iterate_episodes([0, EPISODES - 1]):
        np.testing.assert_array_equal(
            episode.actions, synthetic_episode(episode.id % 50, 5).actions)


def test_sigkill_at_ten_thousand_episodes_keeps_every_committed_episode(recorded):
    path, _ = recorded
    committed = {episode_id: episode_id % 50 for episode_id in range(EPISODES)}
    seed = EPISODES
    # A kill mid-commit leaves journal lines Minari's files lack; opened under the lock, they
    # stay there for the next writer's open to sync, which the kills after "opening" land in.
    for delay, big, sync in [(0.0, True, False), (0.3, None, True), (0.004, False, False),
                             (0.8, None, True), (0.02, True, True)]:
        seed = kill_and_reopen(path, committed, seed, delay, big, sync=sync)
    assert sorted(committed) == list(range(len(committed)))  # no id was handed out twice
