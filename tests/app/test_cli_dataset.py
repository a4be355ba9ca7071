"""`clonelab expert`, `info` and `train` on datasets that need care: racing creators, repaired
indexes (one note line), damaged episode files (one line per problem)."""

from __future__ import annotations

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
