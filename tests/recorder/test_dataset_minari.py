"""Minari compatibility both ways: Minari reads our datasets, we read Minari's."""

from __future__ import annotations

import shutil
import warnings

import gymnasium as gym
import numpy as np
import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset
from tests.recorder.crash_writer import (
    DISCRETE_ACTIONS,
    IMAGE_SPACE,
    VECTOR_SPACE,
    synthetic_episode,
)

minari = pytest.importorskip("minari")
from minari.data_collector.episode_buffer import EpisodeBuffer  # noqa: E402
from minari.dataset.minari_storage import MinariStorage  # noqa: E402


@pytest.fixture
def minari_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("observation_space", [VECTOR_SPACE, IMAGE_SPACE], ids=["vector", "image"])
def test_minari_load_dataset_reads_a_clonelab_dataset(minari_root, observation_space):
    dataset = DemoDataset.create(minari_root / "cartpole-demo-v0", env_id="CartPole-v1",
                                 observation_space=observation_space,
                                 action_space=DISCRETE_ACTIONS)
    episodes = [synthetic_episode(seed, 4 + seed, observation_space, DISCRETE_ACTIONS)
                for seed in range(3)]
    for episode in episodes:
        dataset.append(episode)
    dataset.delete_episode(0)  # Minari reads dense positions; our ids keep their gap

    loaded = minari.load_dataset("cartpole-demo-v0")

    assert loaded.total_episodes == 2
    assert loaded.total_steps == dataset.total_steps
    assert loaded.env_spec.id == "CartPole-v1"
    assert loaded.observation_space == observation_space
    assert loaded.action_space == DISCRETE_ACTIONS
    for read, written in zip(loaded.iterate_episodes(), episodes[1:], strict=True):
        np.testing.assert_array_equal(read.observations, written.observations)
        np.testing.assert_array_equal(read.actions, written.actions)
        np.testing.assert_array_equal(read.rewards, written.rewards)
        np.testing.assert_array_equal(read.terminations, written.terminations)
        np.testing.assert_array_equal(read.truncations, written.truncations)
    assert [m["id"] for m in loaded.storage.get_episode_metadata([0, 1])] == [1, 2]
    assert "cartpole-demo-v0" in minari.list_local_datasets()


def build_minari_dataset(data_path, episodes, *, env_id="CartPole-v1", options=None):
    """A dataset written by Minari's own storage API, as another tool would make it."""
    data_path.parent.mkdir(parents=True)
    storage = MinariStorage.new(data_path, observation_space=VECTOR_SPACE,
                                action_space=DISCRETE_ACTIONS, env_spec=gym.spec(env_id),
                                jpeg_encoding=False)
    storage.update_episodes([
        EpisodeBuffer(seed=episode.seed, options=options, observations=list(episode.observations),
                      actions=list(episode.actions), rewards=list(episode.rewards),
                      terminations=list(episode.terminations),
                      truncations=list(episode.truncations))
        for episode in episodes])
    storage.update_metadata({"dataset_id": "elsewhere/made-v0", "minari_version": "0.5.4",
                             "author": {"someone"}})
    return storage


def test_open_a_minari_dataset_made_elsewhere(tmp_path):
    episodes = [synthetic_episode(seed, 5 + seed) for seed in range(3)]
    build_minari_dataset(tmp_path / "made-v0" / "data", episodes,
                         options={"low": -0.05, "shape": {"width": 3}})

    dataset = DemoDataset.open(tmp_path / "made-v0", env_id="CartPole-v1")

    assert dataset.read_only
    assert dataset.env_id == "CartPole-v1"
    assert dataset.episode_ids == (0, 1, 2)
    assert dataset.operator == "someone"
    loaded = dataset.load_episode(2)
    np.testing.assert_array_equal(loaded.observations, episodes[2].observations)
    np.testing.assert_array_equal(loaded.actions, episodes[2].actions)
    assert loaded.seed == 2
    assert loaded.options == {"low": -0.05, "shape": {"width": 3}}  # Minari's options/<key>
    assert loaded.actors == ("unknown",) * 7
    assert np.isnan(loaded.timestamps).all()
    transitions = dataset.transitions()
    np.testing.assert_array_equal(transitions.rewards,
                                  np.concatenate([e.rewards for e in episodes]))
    exported = DemoDataset.open(dataset.export(tmp_path / "copy.hdf5"))
    assert exported.fingerprint() == dataset.fingerprint()
    with pytest.raises(DatasetError, match="read-only"):
        dataset.append(episodes[0])



def run_minari_cli(*args: str) -> str:
    """Run Minari's own command line in-process; its output when it exits 0."""
    from minari.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"minari {' '.join(args)}: {result.output}{result.exception!r}"
    return result.output


def test_minari_lists_loads_and_shows_a_namespaced_clonelab_dataset(minari_root):
    dataset = DemoDataset.create(minari_root / "clonelab" / "cartpole-demo-v0",
                                 env_id="CartPole-v1", observation_space=VECTOR_SPACE,
                                 action_space=DISCRETE_ACTIONS, operator="ann")
    for seed in range(2):
        dataset.append(synthetic_episode(seed, 5))
    # While recording, Minari sees the dataset as of the last sync (here its creation).
    assert minari.list_local_datasets()["clonelab/cartpole-demo-v0"]["total_episodes"] == 0
    dataset.close()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Minari warns and skips a "misconfigured" dataset
        listed = minari.list_local_datasets()
    metadata = listed["clonelab/cartpole-demo-v0"]
    assert metadata["total_episodes"] == 2 and metadata["total_steps"] == 10
    assert metadata["dataset_size"] >= 0
    assert "cartpole-demo-v0" in run_minari_cli("list", "local")
    shown = run_minari_cli("show", "clonelab/cartpole-demo-v0")
    assert "Total Episodes" in shown and "CartPole-v1" in shown and "ann" in shown
    loaded = minari.load_dataset("clonelab/cartpole-demo-v0")
    assert loaded.total_episodes == 2
    assert loaded.spec.dataset_id == "clonelab/cartpole-demo-v0"
    assert loaded.recover_environment().spec.id == "CartPole-v1"


def test_every_key_minari_writes_is_written(minari_root):
    minari_made = build_minari_dataset(minari_root / "elsewhere" / "made-v0" / "data",
                                       [synthetic_episode(0, 4)])
    minari_made.update_metadata({"dataset_size": minari_made.get_size()})
    ours = DemoDataset.create(minari_root / "ours-v0", env_id="CartPole-v1",
                              observation_space=VECTOR_SPACE, action_space=DISCRETE_ACTIONS,
                              operator="someone")
    ours.append(synthetic_episode(0, 4))

    theirs = set(minari.list_local_datasets()["elsewhere/made-v0"])
    assert theirs <= set(minari.list_local_datasets()["ours-v0"])


def test_a_dataset_moved_into_minaris_folder_gets_its_id_on_open(tmp_path, minari_root):
    dataset = DemoDataset.create(tmp_path / "home" / "demos", env_id="CartPole-v1",
                                 observation_space=VECTOR_SPACE, action_space=DISCRETE_ACTIONS)
    dataset.append(synthetic_episode(0, 4))
    shutil.move(tmp_path / "home" / "demos", minari_root / "mine" / "demos-v2")

    DemoDataset.open(minari_root / "mine" / "demos-v2")

    assert minari.load_dataset("mine/demos-v2").total_episodes == 1
    assert "mine/demos-v2" in minari.list_local_datasets()
