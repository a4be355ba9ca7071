"""`clonelab expert`, `info` and `train` on datasets that need care: racing creators, repaired
indexes (one note line), damaged episode files (one line per problem)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clonelab.app.cli import main
from clonelab.recorder.dataset import DatasetError, DemoDataset
from tests.app.demo_data import expert_dataset


def test_expert_appends_to_a_dataset_another_writer_creates_at_the_same_moment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    out = tmp_path / "demos"
    create = DemoDataset.create.__func__  # type: ignore[attr-defined]

    def another_writer_wins(cls, path, **kwargs):
        # The other writer creates the dataset between our look and our create.
        monkeypatch.setattr(DemoDataset, "create", classmethod(create))
        create(cls, path, **kwargs)
        raise DatasetError(path, "already exists and is not an empty directory")

    monkeypatch.setattr(DemoDataset, "create", classmethod(another_writer_wins))
    assert main(["expert", "CartPole-v1", "--episodes", "1", "--out", str(out)]) == 0
    assert len(DemoDataset.open(out)) == 1


@pytest.fixture
def repaired(tmp_path: Path) -> Path:
    """A 2-episode dataset whose metadata.json is lost: the next open rebuilds the index."""
    path = tmp_path / "demos"
    expert_dataset(path, seeds=(0, 1), max_steps=30)
    (path / "data" / "metadata.json").unlink()
    return path


def test_info_says_in_one_line_that_it_rebuilt_the_index(repaired: Path, capsys) -> None:
    assert main(["info", str(repaired)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["clonelab info: note: no metadata.json: index rebuilt from 2 episode files"]


def test_train_says_in_one_line_that_it_rebuilt_the_index(repaired: Path, tmp_path: Path,
                                                          capsys) -> None:
    assert main(["train", str(repaired), "--out", str(tmp_path / "p.pt"), "--steps", "5",
                 "--hidden", "8", "--device", "cpu"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert "clonelab train: note: no metadata.json: index rebuilt from 2 episode files" in err
    assert len(err) == 1


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A 3-episode dataset whose episode 1 file is truncated and episode 2 file zeroed."""
    path = tmp_path / "demos"
    expert_dataset(path, seeds=(0, 1, 2), max_steps=30)
    episodes = path / "data" / "episodes"
    os.truncate(episodes / "episode_1.hdf5", (episodes / "episode_1.hdf5").stat().st_size // 2)
    (episodes / "episode_2.hdf5").write_bytes(bytes((episodes / "episode_2.hdf5").stat().st_size))
    return path


def test_info_check_does_not_vouch_for_damaged_episode_files(damaged: Path, capsys) -> None:
    assert main(["info", str(damaged), "--check", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert [line.split(": ")[2] for line in err[:2]] == [
        str(damaged / "data" / "episodes" / f"episode_{n}.hdf5") for n in (1, 2)]
    assert all("is unreadable" in line for line in err[:2])
    assert len(err) == 3 and "clonelab doctor" in err[2]


def test_info_answers_from_the_index_without_reading_episode_files(damaged: Path,
                                                                   capsys) -> None:
    assert main(["info", str(damaged), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["episodes"] == 3 and summary["actors"] == ["expert"]


def test_doctor_reports_and_repairs_only_on_request(damaged: Path, capsys) -> None:
    episodes = damaged / "data" / "episodes"
    good = (episodes / "episode_0.hdf5").read_bytes(), (episodes / "episode_0.hdf5").stat()
    assert main(["doctor", str(damaged)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert [line for line in out if "episode_" in line] == [
        line for line in out if "is unreadable" in line] and len(out) > 2
    assert sorted(path.name for path in episodes.iterdir()) == [
        "episode_0.hdf5", "episode_1.hdf5", "episode_2.hdf5"]

    assert main(["doctor", str(damaged), "--repair", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["problems"] == 2 and summary["episodes_checked"] == 3
    assert [finding["episode"] for finding in summary["findings"]] == [1, 2]
    assert sorted(Path(path).name for path in summary["set_aside_files"]) == [
        "episode_1.hdf5", "episode_2.hdf5"]
    assert (episodes / "episode_0.hdf5").read_bytes() == good[0]
    assert (episodes / "episode_0.hdf5").stat().st_mtime_ns == good[1].st_mtime_ns

    assert main(["doctor", str(damaged)]) == 0
    assert main(["info", str(damaged), "--check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["episodes"] == 1


def test_info_and_doctor_import_neither_torch_nor_qt(damaged: Path) -> None:
    """They answer in about a second: the whole command's start-up was torch's (3-19 s)."""
    import subprocess
    import sys

    for command in (["info", str(damaged), "--json"], ["doctor", str(damaged), "--json"]):
        script = ("import sys; from clonelab.app.cli import main; status = main(sys.argv[1:]); "
                  "heavy = {'torch', 'PySide6'} & set(sys.modules); "
                  "print('heavy', sorted(heavy), file=sys.stderr); sys.exit(status)")
        done = subprocess.run([sys.executable, "-c", script, *command], capture_output=True,
                              text=True, timeout=120, check=False)
        assert "heavy []" in done.stderr, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[-1])["dataset"] == str(damaged)
