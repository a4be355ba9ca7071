"""Two writers creating the same new dataset at the same instant: one wins, nothing half made."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset
from tests.recorder.crash_writer import DISCRETE_ACTIONS, VECTOR_SPACE, synthetic_episode

SPACES = {"observation_space": VECTOR_SPACE, "action_space": DISCRETE_ACTIONS}


def create_and_append(path: Path, seed: int) -> str:
    """Create the dataset and commit one episode: "created", or the one-line refusal."""
    try:
        dataset = DemoDataset.create(path, env_id="CartPole-v1", **SPACES)
    except DatasetError as exc:
        return str(exc)
    dataset.append(synthetic_episode(seed, 4))
    return "created"


def open_or_create_and_append(path: Path, seed: int) -> str:
    """Open the dataset, creating it when it does not exist yet, and commit one episode."""
    dataset = DemoDataset.open_or_create(path, env_id="CartPole-v1", **SPACES)
    dataset.append(synthetic_episode(seed, 4))
    return "appended"


def _in_process(job: Callable[[Path, int], str], path: Path, seed: int,
                barrier: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue
                ) -> None:
    barrier.wait()
    results.put(job(path, seed))


def race(job: Callable[[Path, int], str], path: Path, *, processes: bool) -> list[str]:
    """Start two ``job``s on ``path`` together (threads or processes) and collect results."""
    if processes:
        context = multiprocessing.get_context("fork")
        barrier, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_in_process, args=(job, path, seed, barrier, results))
                   for seed in range(2)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        return outcomes
    thread_barrier = threading.Barrier(2)
    collected: list[str] = []

    def run(seed: int) -> None:
        thread_barrier.wait()
        collected.append(job(path, seed))

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return collected


def assert_nothing_half_made(parent: Path, name: str) -> None:
    assert [entry.name for entry in parent.iterdir()] == [name]  # no stub or temporary folder
    assert not [p for p in (parent / name).rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_one_creator_wins_and_the_other_refuses_in_one_line(tmp_path, processes):
    for trial in range(12 if processes else 30):
        parent = tmp_path / str(trial)
        parent.mkdir()
        path = parent / "demos"

        outcomes = race(create_and_append, path, processes=processes)

        assert sorted(outcomes)[-1] == "created" and outcomes.count("created") == 1, outcomes
        refusal = next(outcome for outcome in outcomes if outcome != "created")
        assert refusal == f"{path}: already exists and is not an empty directory"
        assert_nothing_half_made(parent, "demos")
        assert DemoDataset.open(path).episode_ids == (0,)


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_open_or_create_racers_both_append(tmp_path, processes):
    for trial in range(6 if processes else 15):
        parent = tmp_path / str(trial)
        parent.mkdir()

        outcomes = race(open_or_create_and_append, parent / "demos", processes=processes)

        assert outcomes == ["appended", "appended"]
        assert_nothing_half_made(parent, "demos")
        assert DemoDataset.open(parent / "demos").episode_ids == (0, 1)


def test_create_into_an_existing_empty_folder(tmp_path):
    (tmp_path / "demos").mkdir()
    DemoDataset.create(tmp_path / "demos", env_id="CartPole-v1", **SPACES)
    assert_nothing_half_made(tmp_path, "demos")
    assert DemoDataset.open(tmp_path / "demos").episode_ids == ()


def test_open_or_create_refuses_other_spaces(tmp_path):
    DemoDataset.create(tmp_path / "demos", env_id="CartPole-v1", **SPACES)
    with pytest.raises(DatasetError, match="holds demos of CartPole-v1, not Pendulum-v1"):
        DemoDataset.open_or_create(tmp_path / "demos", env_id="Pendulum-v1", **SPACES)
    with pytest.raises(DatasetError, match="observations in Box") as caught:
        DemoDataset.open_or_create(tmp_path / "demos", env_id="CartPole-v1",
                                   observation_space=DISCRETE_ACTIONS,
                                   action_space=DISCRETE_ACTIONS)
    assert "\n" not in str(caught.value)


def test_two_exports_to_one_file_at_once_both_succeed(tmp_path):
    dataset = DemoDataset.create(tmp_path / "demos", env_id="CartPole-v1", **SPACES)
    for seed in range(3):
        dataset.append(synthetic_episode(seed, 50))
    target = tmp_path / "demos.hdf5"

    def export(_path: Path, _seed: int) -> str:
        try:
            dataset.export(target)
        except DatasetError as exc:
            return str(exc)
        return "exported"

    for _ in range(10):
        assert race(export, target, processes=False) == ["exported", "exported"]
        assert DemoDataset.open(target).fingerprint() == dataset.fingerprint()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["demos", "demos.hdf5"]
