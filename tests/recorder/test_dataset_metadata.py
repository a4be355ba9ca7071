"""Wrong-typed fields in metadata.json or in an episode's attributes never block intact episodes.

Each field is checked on read; an unusable index is rebuilt from the episode files and the
dataset says so in one line (``DemoDataset.repair_note``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset
from tests.recorder.crash_writer import DISCRETE_ACTIONS, VECTOR_SPACE, synthetic_episode

EPISODES = [synthetic_episode(0, 5), synthetic_episode(1, 4)]


@pytest.fixture
def dataset_dir(tmp_path) -> Path:
    dataset = DemoDataset.create(tmp_path / "demos", env_id="CartPole-v1",
                                 observation_space=VECTOR_SPACE, action_space=DISCRETE_ACTIONS)
    for episode in EPISODES:
        dataset.append(episode, tags=["good"])
    dataset.close()  # the index files list every commit
    return tmp_path / "demos"


def first_episode(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["clonelab"]["episodes"][0]


DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "episodes-string": lambda doc: doc["clonelab"].update(episodes="abc"),
    "episodes-list-of-strings": lambda doc: doc["clonelab"].update(episodes=["abc"]),
    "episodes-object": lambda doc: doc["clonelab"].update(episodes={"0": {}}),
    "clonelab-list": lambda doc: doc.update(clonelab=[1, 2]),
    "clonelab-missing": lambda doc: doc.pop("clonelab"),
    "steps-string": lambda doc: first_episode(doc).update(steps="5"),
    "steps-float": lambda doc: first_episode(doc).update(steps=5.5),
    "steps-negative": lambda doc: first_episode(doc).update(steps=-5),
    "steps-bool": lambda doc: first_episode(doc).update(steps=True),
    "episode-id-string": lambda doc: first_episode(doc).update(episode_id="0"),
    "return-string": lambda doc: first_episode(doc).update(episode_return="high"),
    "seed-list": lambda doc: first_episode(doc).update(seed=[0]),
    "tags-string": lambda doc: first_episode(doc).update(tags="good"),
    "tags-of-numbers": lambda doc: first_episode(doc).update(tags=[1]),
    "actor-steps-list": lambda doc: first_episode(doc).update(actor_steps=[5]),
    "device-steps-strings": lambda doc: first_episode(doc).update(device_steps={"keyboard": "5"}),
    "notes-number": lambda doc: first_episode(doc).update(notes=5),
    "terminated-string": lambda doc: first_episode(doc).update(terminated="yes"),
    "content-hash-number": lambda doc: first_episode(doc).update(content_hash=5),
    "raw-offsets-string": lambda doc: first_episode(doc).update(raw_offsets="12"),
    "raw-offsets-too-few": lambda doc: first_episode(doc).update(raw_offsets=[1]),
    "summary-missing-key": lambda doc: first_episode(doc).pop("steps"),
    "summary-a-number": lambda doc: doc["clonelab"]["episodes"].__setitem__(0, 7),
    "next-id-string": lambda doc: doc["clonelab"].update(next_episode_id="2"),
    "env-id-list": lambda doc: doc["clonelab"].update(env_id=["CartPole-v1"]),
    "schema-version-string": lambda doc: doc["clonelab"].update(clonelab_schema_version="1"),
    "created-at-string": lambda doc: doc["clonelab"].update(created_at="today"),
    "operator-number": lambda doc: doc["clonelab"].update(operator=3),
    "observation-space-number": lambda doc: doc.update(observation_space=5),
    "action-space-bad-box": lambda doc: doc.update(action_space=json.dumps(
        {"type": "Box", "dtype": "float32", "shape": "x", "low": 0, "high": 1})),
    "env-spec-number": lambda doc: doc.update(env_spec=5),
    "document-a-list": lambda doc: (doc.clear(), doc.update(replaced=True)),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_wrong_typed_metadata_is_rebuilt_from_the_episode_files(dataset_dir, damage):
    metadata_file = dataset_dir / "data" / "metadata.json"
    fingerprint = DemoDataset.open(dataset_dir).fingerprint()
    doc = json.loads(metadata_file.read_text())
    damage(doc)
    metadata_file.write_text(json.dumps([1] if doc == {"replaced": True} else doc))

    dataset = DemoDataset.open(dataset_dir)

    assert dataset.episode_ids == (0, 1)
    assert dataset.env_id == "CartPole-v1"
    assert dataset.total_steps == 9
    assert dataset.fingerprint() == fingerprint
    assert dataset.episode_info(0).tags == ("good",)
    assert dataset.episode_info(0).steps == 5
    np.testing.assert_array_equal(dataset.transitions().actions,
                                  np.concatenate([e.actions for e in EPISODES]))
    note = dataset.repair_note
    assert note is not None and "\n" not in note
    assert "metadata.json" in note and "rebuilt from 2 episode files" in note
    reopened = DemoDataset.open(dataset_dir)  # the rebuilt index was written back
    assert reopened.repair_note is None
    assert reopened.fingerprint() == fingerprint
    assert reopened.append(synthetic_episode(2, 3)) == 2


def test_an_intact_dataset_has_no_repair_note(dataset_dir):
    assert DemoDataset.open(dataset_dir).repair_note is None


def test_a_crash_repair_is_noted_too(dataset_dir):
    (dataset_dir / "data" / "episodes" / "episode_1.hdf5").unlink()
    note = DemoDataset.open(dataset_dir).repair_note
    assert note is not None and "rebuilt from 1 episode files" in note


ATTRIBUTE_DAMAGE = {
    "tags-not-a-list": ("tags", '"good"'),
    "tags-not-json": ("tags", "[good"),
    "notes-number": ("notes", 5),
    "fps-string": ("fps", "fast"),
    "seed-string": ("seed", "zero"),
    "options-a-list": ("options", "[1, 2]"),
    "options-not-json": ("options", "{"),
    "tags-nested-too-deep": ("tags", "[" * 100_000 + "]" * 100_000),
    "operator-number": ("operator", 7),
    "env-id-number": ("env_id", 7),
}


@pytest.mark.parametrize(("name", "value"), ATTRIBUTE_DAMAGE.values(), ids=ATTRIBUTE_DAMAGE.keys())
def test_wrong_typed_episode_attributes_do_not_block_its_data(dataset_dir, name, value, caplog):
    data_dir = dataset_dir / "data"
    with h5py.File(data_dir / "episodes" / "episode_0.hdf5", "a") as file:
        file.attrs[name] = value
    (data_dir / "metadata.json").unlink()  # the index must be rebuilt from the files

    dataset = DemoDataset.open(dataset_dir)

    assert dataset.episode_ids == (0, 1)
    loaded = dataset.load_episode(0)
    np.testing.assert_array_equal(loaded.observations, EPISODES[0].observations)
    np.testing.assert_array_equal(loaded.actions, EPISODES[0].actions)
    assert any(name in record.getMessage() and "episode_0.hdf5" in record.getMessage()
               for record in caplog.records if record.levelname == "WARNING")
    assert not (data_dir / "quarantine").exists()  # its data is intact


def test_a_wrong_typed_export_is_refused_in_one_line(tmp_path, dataset_dir):
    exported = DemoDataset.open(dataset_dir).export(tmp_path / "demos.hdf5")
    with h5py.File(exported, "a") as file:
        file.attrs["episodes"] = json.dumps([{"episode_id": "zero"}])
    with pytest.raises(DatasetError) as caught:
        DemoDataset.open(exported)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{exported}: ")
    assert "episode_id" in message


@pytest.mark.parametrize(("key", "value"), [("author", 5), ("env_spec", 5),
                                            ("total_episodes", "2"), ("author", "someone")])
def test_a_wrong_typed_minari_metadata_is_refused_or_read(tmp_path, key, value):
    from tests.recorder.test_dataset_minari import build_minari_dataset

    build_minari_dataset(tmp_path / "made-v0" / "data", EPISODES)
    metadata_file = tmp_path / "made-v0" / "data" / "metadata.json"
    doc = json.loads(metadata_file.read_text())
    doc[key] = value
    metadata_file.write_text(json.dumps(doc))
    try:
        dataset = DemoDataset.open(tmp_path / "made-v0")
    except DatasetError as exc:
        assert "\n" not in str(exc) and key in str(exc)
    else:
        assert dataset.episode_ids == (0, 1)
        assert isinstance(dataset.operator, str)


@pytest.mark.parametrize(("name", "value"), [("env_id", 5), ("next_episode_id", "2"),
                                             ("observation_space", "{}"),
                                             ("clonelab_schema_version", -1)])
def test_a_damaged_main_file_is_rewritten_while_metadata_json_is_good(dataset_dir, name, value):
    data_dir = dataset_dir / "data"
    with h5py.File(data_dir / "main_data.hdf5", "a") as main:
        main.attrs[name] = value

    note = DemoDataset.open(dataset_dir).repair_note

    assert note is not None and "main_data.hdf5" in note
    (data_dir / "metadata.json").unlink()  # the rewritten main_data.hdf5 now serves alone
    dataset = DemoDataset.open(dataset_dir)
    assert dataset.env_id == "CartPole-v1" and dataset.episode_ids == (0, 1)
    assert dataset.observation_space == VECTOR_SPACE


def test_a_deeply_nested_metadata_json_is_rebuilt(dataset_dir):
    metadata_file = dataset_dir / "data" / "metadata.json"
    metadata_file.write_text("[" * 100_000 + "]" * 100_000)
    dataset = DemoDataset.open(dataset_dir)
    assert dataset.episode_ids == (0, 1)
    assert dataset.repair_note is not None and "metadata.json is unusable" in dataset.repair_note
