"""Bad input gets one clear DatasetError line naming the file, and leaves every byte alone."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset
from tests.recorder.crash_writer import DISCRETE_ACTIONS, VECTOR_SPACE, synthetic_episode


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` (or ``root`` itself) with its bytes and mtime."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def refused(path, **kwargs) -> str:
    """Open ``path``, expect a DatasetError, and return its single line."""
    with pytest.raises(DatasetError) as caught:
        DemoDataset.open(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture
def dataset_dir(tmp_path) -> Path:
    dataset = DemoDataset.create(tmp_path / "demos", env_id="CartPole-v1",
                                 observation_space=VECTOR_SPACE, action_space=DISCRETE_ACTIONS)
    dataset.append(synthetic_episode(0, 5))
    return tmp_path / "demos"


def test_missing_path(tmp_path):
    message = refused(tmp_path / "nowhere")
    assert message == f"{tmp_path / 'nowhere'}: no such file or directory"


def test_non_hdf5_file(tmp_path):
    path = tmp_path / "notes.hdf5"
    path.write_text("not a dataset")
    before = snapshot(path)
    assert refused(path) == f"{path}: not an HDF5 file"
    assert snapshot(path) == before


def test_truncated_export(tmp_path, dataset_dir):
    exported = DemoDataset.open(dataset_dir).export(tmp_path / "demos.hdf5")
    exported.write_bytes(exported.read_bytes()[:3000])
    before = snapshot(exported)
    message = refused(exported)
    assert message.startswith(f"{exported}: ") and "truncated or corrupt" in message
    assert snapshot(exported) == before


def test_foreign_hdf5_file(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["weights"] = np.arange(10)
    before = snapshot(path)
    assert "without CloneLab attributes" in refused(path)
    assert snapshot(path) == before


def test_directory_that_is_not_a_dataset(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"\xff\xd8")
    before = snapshot(tmp_path / "photos")
    assert "not a dataset directory" in refused(tmp_path / "photos")
    assert snapshot(tmp_path / "photos") == before


def test_dataset_of_another_env(dataset_dir):
    before = snapshot(dataset_dir)
    message = refused(dataset_dir, env_id="LunarLander-v3")
    assert message == f"{dataset_dir}: holds demos of CartPole-v1, not LunarLander-v3"
    assert snapshot(dataset_dir) == before


def test_newer_schema_version(dataset_dir):
    metadata_file = dataset_dir / "data" / "metadata.json"
    doc = json.loads(metadata_file.read_text())
    doc["clonelab"]["clonelab_schema_version"] = 99
    metadata_file.write_text(json.dumps(doc))
    before = snapshot(dataset_dir)
    message = refused(dataset_dir)
    assert str(metadata_file) in message and "newer CloneLab (schema version 99" in message
    assert snapshot(dataset_dir) == before


def test_newer_schema_version_of_an_export(tmp_path, dataset_dir):
    exported = DemoDataset.open(dataset_dir).export(tmp_path / "demos.hdf5")
    with h5py.File(exported, "a") as file:
        file.attrs["clonelab_schema_version"] = 2**20
    before = snapshot(exported)
    assert "newer CloneLab" in refused(exported)
    assert snapshot(exported) == before


@pytest.mark.parametrize("field", ["observations", "actions", "rewards"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_append_refuses_non_finite_values(tmp_path, field, bad):
    action_space = VECTOR_SPACE if field == "actions" else DISCRETE_ACTIONS
    dataset = DemoDataset.create(tmp_path / "demos", env_id="Synthetic-v0",
                                 observation_space=VECTOR_SPACE, action_space=action_space)
    dataset.append(synthetic_episode(0, 4, VECTOR_SPACE, action_space))
    episode = synthetic_episode(1, 6, VECTOR_SPACE, action_space)
    getattr(episode, field)[2] = bad
    before = snapshot(tmp_path / "demos")

    with pytest.raises(DatasetError) as caught:
        dataset.append(episode)

    assert str(caught.value) == (f"{tmp_path / 'demos'}: episode refused: {field} hold NaN or "
                                 "infinite values (first at row 2)")
    assert snapshot(tmp_path / "demos") == before
    assert DemoDataset.open(tmp_path / "demos").episode_ids == (0,)


@pytest.mark.parametrize(("change", "problem"), [
    ({"observations": np.zeros((6, 3), np.float32)}, "observations has shape (6, 3)"),
    ({"actions": np.full(5, 3)}, "actions fall outside Discrete(3)"),
    ({"actors": ("human",) * 4 + ("robot",)}, "actors holds ['robot']"),
    ({"rewards": np.zeros(4)}, "rewards has shape (4,), expected (5,)"),
    ({"played_actions": np.zeros(4, np.int64)}, "played_actions has shape (4,), expected (5,)"),
    ({"played_actions": np.full(5, 3)}, "played_actions fall outside Discrete(3)"),
])
def test_append_refuses_malformed_episodes(dataset_dir, change, problem):
    dataset = DemoDataset.open(dataset_dir)
    episode = synthetic_episode(3, 5)
    bad = type(episode)(**{**episode.__dict__, **change})
    with pytest.raises(DatasetError, match="episode refused") as caught:
        dataset.append(bad)
    assert problem in str(caught.value)
    assert len(DemoDataset.open(dataset_dir)) == 1


def test_create_never_overwrites(dataset_dir):
    before = snapshot(dataset_dir)
    with pytest.raises(DatasetError, match="already exists"):
        DemoDataset.create(dataset_dir, env_id="CartPole-v1", observation_space=VECTOR_SPACE,
                           action_space=DISCRETE_ACTIONS)
    assert snapshot(dataset_dir) == before


def test_unreadable_episode_file_is_named(dataset_dir):
    episode_file = dataset_dir / "data" / "episodes" / "episode_0.hdf5"
    episode_file.write_bytes(episode_file.read_bytes()[:500])
    dataset = DemoDataset.open(dataset_dir)
    with pytest.raises(DatasetError, match="episode 0 is unreadable") as caught:
        dataset.load_episode(0)
    assert str(caught.value).startswith(str(episode_file))
    with pytest.raises(DatasetError, match="episode 0 is unreadable"):
        dataset.transitions()


def test_a_minari_dataset_with_nan_is_reported_on_open(tmp_path):
    from tests.recorder.test_dataset_minari import build_minari_dataset

    episode = synthetic_episode(0, 6)
    episode.observations[3, 1] = np.nan
    build_minari_dataset(tmp_path / "nan-v0" / "data", [synthetic_episode(1, 4), episode])
    before = snapshot(tmp_path / "nan-v0")

    message = refused(tmp_path / "nan-v0")

    main_file = tmp_path / "nan-v0" / "data" / "main_data.hdf5"
    assert message == (f"{main_file}: episode_1: observations hold NaN or infinite values "
                       "(first at row 3)")
    assert snapshot(tmp_path / "nan-v0") == before
