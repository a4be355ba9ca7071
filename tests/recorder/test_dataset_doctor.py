"""The dataset doctor: every episode file checked against the schema and its checksum; a check
changes nothing, a repair sets bad files aside (never deletes them) and never touches a good one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import h5py
import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.dataset_doctor import check_dataset, repair_dataset
from clonelab.recorder.dataset_io import EpisodeMeta, write_episode_group
from tests.recorder.crash_writer import (
    VECTOR_SPACE,
    synthetic_dataset,
    synthetic_episode,
)


@pytest.fixture
def dataset_dir(tmp_path) -> Path:
    return synthetic_dataset(tmp_path / "demos", episodes=4, steps=6).path


def episode_file(dataset_dir: Path, episode_id: int) -> Path:
    return dataset_dir / "data" / "episodes" / f"episode_{episode_id}.hdf5"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time, by path."""
    return {str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def zero(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def edit_in_place(path: Path) -> None:
    with h5py.File(path, "r+") as file:
        file["rewards"][0] = 42.0  # valid, but not what was committed


def nan_reward(path: Path) -> None:
    with h5py.File(path, "r+") as file:
        file["rewards"][1] = float("nan")


def remove(path: Path) -> None:
    path.unlink()


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (truncate, "episode 2 is unreadable"),
    "zeroed": (zero, "episode 2 is unreadable"),
    "edited-in-place": (edit_in_place, "episode 2 differs from the checksum recorded"),
    "nan-reward": (nan_reward, "rewards hold NaN or infinite values (first at row 1)"),
    "missing": (remove, "episode 2 is in the index, but its file is missing"),
}


def test_a_healthy_dataset_has_no_findings(dataset_dir):
    checkup = check_dataset(dataset_dir)
    assert checkup.episodes_checked == 4
    assert checkup.findings == ()


@pytest.mark.parametrize(("damage", "problem"), DAMAGE.values(), ids=DAMAGE.keys())
def test_each_problem_is_one_line_and_a_check_changes_nothing(dataset_dir, damage, problem):
    damage(episode_file(dataset_dir, 2))
    before = snapshot(dataset_dir)

    checkup = check_dataset(dataset_dir)

    assert [finding.episode_id for finding in checkup.findings] == [2]
    line = str(checkup.findings[0])
    assert len(line.splitlines()) == 1
    assert line.startswith(f"{episode_file(dataset_dir, 2)}: ") and problem in line
    assert snapshot(dataset_dir) == before


@pytest.mark.parametrize(("damage", "problem"), DAMAGE.values(), ids=DAMAGE.keys())
def test_repair_sets_bad_files_aside_and_never_touches_a_good_one(dataset_dir, damage, problem):
    bad = episode_file(dataset_dir, 2)
    damage(bad)
    damaged = bad.read_bytes() if bad.exists() else None
    good = {episode_id: (episode_file(dataset_dir, episode_id).read_bytes(),
                         episode_file(dataset_dir, episode_id).stat().st_mtime_ns)
            for episode_id in (0, 1, 3)}

    repair = repair_dataset(dataset_dir)

    assert [finding.episode_id for finding in repair.checkup.findings] == [2]
    for episode_id, (data, mtime) in good.items():
        path = episode_file(dataset_dir, episode_id)
        assert path.read_bytes() == data and path.stat().st_mtime_ns == mtime
    assert not bad.exists()
    quarantine = dataset_dir / "data" / "quarantine"
    if damaged is not None:  # kept, byte for byte, with the reason beside it
        assert repair.set_aside == (quarantine / "episode_2.hdf5",)
        assert (quarantine / "episode_2.hdf5").read_bytes() == damaged
        assert problem in (quarantine / "reasons.txt").read_text()
    else:
        assert repair.set_aside == ()
    dataset = DemoDataset.open(dataset_dir)
    assert dataset.episode_ids == (0, 1, 3) and dataset.repair_note is None
    assert json.loads((dataset_dir / "data" / "metadata.json").read_text())[
        "total_episodes"] == 3
    assert check_dataset(dataset_dir).findings == ()


def test_a_good_file_the_index_lacks_is_added_by_repair(dataset_dir):
    episode = synthetic_episode(9, 5)
    with h5py.File(episode_file(dataset_dir, 7), "w") as file:  # copied in from elsewhere
        write_episode_group(file, episode, observation_space=VECTOR_SPACE,
                            meta=EpisodeMeta(episode_id=7, env_id="Synthetic-v0"))
    checkup = check_dataset(dataset_dir)
    assert [(f.episode_id, f.bad_file) for f in checkup.findings] == [(7, False)]
    assert "episode 7 is not in the index" in str(checkup.findings[0])

    repair = repair_dataset(dataset_dir)

    assert repair.set_aside == ()
    assert DemoDataset.open(dataset_dir).episode_ids == (0, 1, 2, 3, 7)


def test_an_unusable_index_is_one_finding_and_rebuilt_by_repair(dataset_dir):
    metadata = dataset_dir / "data" / "metadata.json"
    doc = json.loads(metadata.read_text())
    doc["clonelab"]["episodes"] = "four"
    metadata.write_text(json.dumps(doc))

    checkup = check_dataset(dataset_dir)
    assert len(checkup.findings) == 1
    assert str(checkup.findings[0]).startswith(f"{metadata.parent}: metadata.json is unusable")

    repair_dataset(dataset_dir)
    assert check_dataset(dataset_dir).findings == ()
    assert DemoDataset.open(dataset_dir).episode_ids == (0, 1, 2, 3)


def test_an_exported_file_is_checked_but_not_repaired(dataset_dir, tmp_path):
    exported = DemoDataset.open(dataset_dir).export(tmp_path / "demos.hdf5")
    assert check_dataset(exported).findings == ()
    assert check_dataset(exported).episodes_checked == 4
    with pytest.raises(DatasetError, match="read-only"):
        repair_dataset(exported)


def test_repair_waits_for_no_other_writer(dataset_dir):
    from clonelab.recorder.dataset_io import WriterLock

    truncate(episode_file(dataset_dir, 1))
    holder = WriterLock(dataset_dir / "data" / ".lock")
    assert holder.acquire(blocking=False)
    try:
        with pytest.raises(DatasetError, match="another program is writing"):
            repair_dataset(dataset_dir)
    finally:
        holder.release()
    assert episode_file(dataset_dir, 1).exists()


@pytest.mark.parametrize(("lost", "problem"), [("metadata.json", "no metadata.json"),
                                               ("main_data.hdf5", "main_data.hdf5 disagrees")])
def test_a_lost_index_file_is_one_finding_and_rebuilt_by_repair(dataset_dir, lost, problem):
    (dataset_dir / "data" / lost).unlink()
    checkup = check_dataset(dataset_dir)
    assert [str(finding) for finding in checkup.findings] == [
        f"{dataset_dir / 'data'}: {problem}" + (" with metadata.json" if "disagrees" in problem
                                                  else "")]
    assert not (dataset_dir / "data" / lost).exists()  # a check writes nothing
    repair_dataset(dataset_dir)
    assert (dataset_dir / "data" / lost).exists()
    assert check_dataset(dataset_dir).findings == ()
