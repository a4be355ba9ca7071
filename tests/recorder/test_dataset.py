"""DemoDataset: round trips, appends across sessions, deletes, export, transitions, fingerprint."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace

import h5py
import numpy as np
import pytest

from clonelab.recorder import schema
from clonelab.recorder.dataset import DatasetError, DemoDataset, EpisodeData
from clonelab.recorder.dataset_chunks import stored_episode
from tests.recorder.crash_writer import (
    BOX_ACTIONS,
    DISCRETE_ACTIONS,
    IMAGE_SPACE,
    VECTOR_SPACE,
    synthetic_episode,
)

SPACES = {
    "vector-discrete": (VECTOR_SPACE, DISCRETE_ACTIONS),
    "image-box": (IMAGE_SPACE, BOX_ACTIONS),
}


def make_dataset(path, spaces=SPACES["vector-discrete"], env_id="Synthetic-v0"):
    observation_space, action_space = spaces
    return DemoDataset.create(path, env_id=env_id, observation_space=observation_space,
                              action_space=action_space, operator="ann")


def assert_same_episode(loaded: EpisodeData, expected: EpisodeData) -> None:
    for name in ("observations", "actions", "rewards", "terminations", "truncations",
                 "timestamps"):
        actual, wanted = getattr(loaded, name), getattr(expected, name)
        assert actual.dtype == np.asarray(wanted).dtype, name
        np.testing.assert_array_equal(actual, wanted, err_msg=name)
    assert loaded.actors == expected.actors
    assert loaded.devices == expected.devices
    assert loaded.seed == expected.seed
    assert loaded.options == expected.options
    assert loaded.fps == expected.fps
    if expected.played_actions is None:
        assert loaded.played_actions is None
    else:
        np.testing.assert_array_equal(loaded.played_actions, expected.played_actions)


@pytest.mark.parametrize("kind", SPACES)
def test_round_trip_keeps_every_field(tmp_path, kind):
    observation_space, action_space = SPACES[kind]
    dataset = make_dataset(tmp_path / "demos", SPACES[kind])
    episodes = [synthetic_episode(seed, 5 + seed, observation_space, action_space)
                for seed in range(2)]
    ids = [dataset.append(episode, tags=("warmup", kind), notes="first try")
           for episode in episodes]

    reopened = DemoDataset.open(tmp_path / "demos", env_id="Synthetic-v0")

    assert ids == [0, 1]
    assert reopened.episode_ids == (0, 1)
    assert len(reopened) == 2
    assert reopened.total_steps == 5 + 6
    assert reopened.observation_space == observation_space
    assert reopened.action_space == action_space
    assert reopened.operator == "ann"
    for episode_id, episode in zip(ids, episodes, strict=True):
        assert_same_episode(reopened.load_episode(episode_id), episode)
        info = reopened.episode_info(episode_id)
        assert info.steps == episode.steps
        assert info.episode_return == pytest.approx(episode.episode_return)
        assert info.tags == ("warmup", kind) and info.notes == "first try"
        assert info.operator == "ann" and info.seed == episode.seed
        assert info.terminated and not info.truncated
        assert sum(info.actor_steps.values()) == episode.steps
        assert info.actor_steps.get("human", 0) == episode.actors.count("human")
        assert info.started_at == episode.timestamps[0]
        assert info.app_version == schema.app_version()


def test_image_observations_are_chunked_whole_frames_and_compressed(tmp_path):
    dataset = make_dataset(tmp_path / "images", SPACES["image-box"])
    dataset.append(synthetic_episode(1, 40, IMAGE_SPACE, BOX_ACTIONS))
    episode_file = tmp_path / "images" / "data" / "episodes" / "episode_0.hdf5"
    with h5py.File(episode_file, "r") as file:
        frames = file[schema.OBSERVATIONS]
        assert frames.compression == "gzip" and frames.compression_opts == 1
        assert 1 <= frames.chunks[0] <= 32
        assert frames.chunks[1:] == IMAGE_SPACE.shape
        assert file[schema.ACTIONS].chunks is None  # small vectors stay contiguous


def test_append_across_sessions_continues_ids(tmp_path):
    first = make_dataset(tmp_path / "demos")
    first.append(synthetic_episode(0, 4))
    second = DemoDataset.open(tmp_path / "demos")
    assert second.append(synthetic_episode(1, 6)) == 1
    third = DemoDataset.open(tmp_path / "demos")

    assert third.episode_ids == (0, 1)
    assert_same_episode(third.load_episode(1), synthetic_episode(1, 6))
    metadata = json.loads((tmp_path / "demos" / "data" / "metadata.json").read_text())
    assert metadata["total_episodes"] == 2 and metadata["total_steps"] == 10


def test_two_open_datasets_never_hand_out_the_same_id(tmp_path):
    recorder_view = make_dataset(tmp_path / "demos")
    other_view = DemoDataset.open(tmp_path / "demos")
    assert recorder_view.append(synthetic_episode(0, 3)) == 0
    assert other_view.append(synthetic_episode(1, 3)) == 1
    assert DemoDataset.open(tmp_path / "demos").episode_ids == (0, 1)


def test_delete_keeps_the_rest_and_never_reuses_ids(tmp_path):
    dataset = make_dataset(tmp_path / "demos")
    for seed in range(3):
        dataset.append(synthetic_episode(seed, 4 + seed))
    dataset.delete_episode(1)
    dataset.delete_episode(2)  # the highest id: the next one must still be new

    reopened = DemoDataset.open(tmp_path / "demos")
    assert reopened.episode_ids == (0,)
    assert reopened.total_steps == 4
    assert_same_episode(reopened.load_episode(0), synthetic_episode(0, 4))
    assert reopened.append(synthetic_episode(9, 3)) == 3
    assert not (tmp_path / "demos" / "data" / "episodes" / "episode_1.hdf5").exists()
    with pytest.raises(DatasetError, match="has no episode 1"):
        reopened.load_episode(1)


def test_export_is_one_self_contained_file(tmp_path):
    dataset = make_dataset(tmp_path / "demos", SPACES["image-box"])
    for seed in range(3):
        dataset.append(synthetic_episode(seed, 3 + seed, IMAGE_SPACE, BOX_ACTIONS),
                       tags=(f"t{seed}",))
    dataset.delete_episode(0)
    (tmp_path / "shared").mkdir()
    exported = dataset.export(tmp_path / "shared" / "demos.hdf5")
    expected_actions = dataset.transitions().actions
    shutil.rmtree(tmp_path / "demos")  # the export must not need the directory

    single = DemoDataset.open(exported, env_id="Synthetic-v0")

    assert single.read_only
    assert single.episode_ids == (1, 2)
    assert single.fingerprint() == dataset.fingerprint()
    assert single.episode_info(2).tags == ("t2",)
    assert single.action_space == BOX_ACTIONS
    assert_same_episode(single.load_episode(2),
                        synthetic_episode(2, 5, IMAGE_SPACE, BOX_ACTIONS))
    np.testing.assert_array_equal(single.transitions().actions, expected_actions)


def test_labels_keep_the_actions_played_beside_them_through_export(tmp_path):
    dataset = make_dataset(tmp_path / "demos")
    plain = synthetic_episode(0, 4)
    labelled = replace(synthetic_episode(1, 5), played_actions=np.array([0, 1, 1, 0, 2]))
    dataset.append(plain)
    dataset.append(labelled)
    exported = DemoDataset.open(dataset.export(tmp_path / "demos.hdf5"))
    for source in (DemoDataset.open(tmp_path / "demos"), exported):
        assert_same_episode(source.load_episode(0), plain)
        assert_same_episode(source.load_episode(1), labelled)
        np.testing.assert_array_equal(stored_episode(source, 1).played_actions,
                                      labelled.played_actions)
        assert stored_episode(source, 0).played_actions is None


def test_a_moved_dataset_still_reads(tmp_path):
    dataset = make_dataset(tmp_path / "demos")
    dataset.append(synthetic_episode(0, 4))
    shutil.move(tmp_path / "demos", tmp_path / "elsewhere")
    moved = DemoDataset.open(tmp_path / "elsewhere")
    assert_same_episode(moved.load_episode(0), synthetic_episode(0, 4))
    with h5py.File(tmp_path / "elsewhere" / "data" / "main_data.hdf5", "r") as main:
        np.testing.assert_array_equal(main["episode_0/actions"][()],
                                      synthetic_episode(0, 4).actions)


def test_transitions_pair_each_observation_with_its_action(tmp_path):
    dataset = make_dataset(tmp_path / "demos")
    episodes = {seed: synthetic_episode(seed, 3 + seed) for seed in range(4)}
    for episode in episodes.values():
        dataset.append(episode)

    everything = dataset.transitions()
    chosen = dataset.transitions([3, 1])

    assert len(everything) == dataset.total_steps
    np.testing.assert_array_equal(
        everything.observations,
        np.concatenate([e.observations[:-1] for e in episodes.values()]))
    np.testing.assert_array_equal(everything.actions,
                                  np.concatenate([e.actions for e in episodes.values()]))
    np.testing.assert_array_equal(everything.rewards,
                                  np.concatenate([e.rewards for e in episodes.values()]))
    np.testing.assert_array_equal(chosen.episode_ids, [3] * 6 + [1] * 4)
    np.testing.assert_array_equal(chosen.observations[:6], episodes[3].observations[:-1])
    assert everything.observations.flags.c_contiguous
    assert everything.observations.dtype == np.float32 and everything.actions.dtype == np.int64


def test_fingerprint_follows_the_content(tmp_path):
    one = make_dataset(tmp_path / "one")
    two = make_dataset(tmp_path / "two")
    for dataset in (one, two):
        dataset.append(synthetic_episode(0, 5))
    first = one.fingerprint()

    assert len(first) == 16
    assert two.fingerprint() == first  # same ids, same content
    assert DemoDataset.open(tmp_path / "one").fingerprint() == first
    one.append(synthetic_episode(1, 5))
    assert one.fingerprint() != first
    two.append(synthetic_episode(2, 5))
    assert two.fingerprint() != one.fingerprint()  # same lengths, other content
    one.delete_episode(1)
    assert one.fingerprint() == first


def test_unknown_timing_is_nan_not_zero(tmp_path):
    dataset = make_dataset(tmp_path / "demos")
    episode = synthetic_episode(0, 3)
    nan_timed = EpisodeData(**{**episode.__dict__, "fps": math.nan,
                               "timestamps": np.full(4, np.nan)})
    dataset.append(nan_timed)
    info = DemoDataset.open(tmp_path / "demos").episode_info(0)
    assert math.isnan(info.fps) and math.isnan(info.started_at)


@pytest.mark.parametrize("shift", [8, 10**9], ids=["moved", "past-the-end"])
def test_transitions_survive_stale_byte_offsets(tmp_path, shift):
    dataset = make_dataset(tmp_path / "demos")
    episodes = [synthetic_episode(seed, 6) for seed in range(3)]
    for episode in episodes:
        dataset.append(episode)
    assert dataset.episode_info(1).raw_offsets is not None  # the fast path is on offer
    dataset.close()  # metadata.json lists the commits
    metadata_file = tmp_path / "demos" / "data" / "metadata.json"
    doc = json.loads(metadata_file.read_text())
    listed = doc["clonelab"]["episodes"][1]
    listed["raw_offsets"] = [offset + shift for offset in listed["raw_offsets"]]
    metadata_file.write_text(json.dumps(doc))

    transitions = DemoDataset.open(tmp_path / "demos").transitions()

    np.testing.assert_array_equal(transitions.observations,
                                  np.concatenate([e.observations[:-1] for e in episodes]))
    np.testing.assert_array_equal(transitions.actions,
                                  np.concatenate([e.actions for e in episodes]))


@pytest.mark.parametrize("reopen", [True, False], ids=["reopened", "already-open"])
def test_transitions_read_an_episode_file_rewritten_in_place(tmp_path, reopen):
    dataset = make_dataset(tmp_path / "demos")
    for seed in range(3):
        dataset.append(synthetic_episode(seed, 6))
    episode_file = tmp_path / "demos" / "data" / "episodes" / "episode_1.hdf5"
    with h5py.File(episode_file, "a") as file:  # the old bytes stay where the index points
        rewritten = (file["actions"][()] + 1) % 3
        file["new_actions"] = rewritten
        del file["actions"]
        file.move("new_actions", "actions")

    reader = DemoDataset.open(tmp_path / "demos") if reopen else dataset
    transitions = reader.transitions()

    np.testing.assert_array_equal(transitions.actions[6:12], rewritten)
    np.testing.assert_array_equal(reader.load_episode(1).actions, rewritten)
    np.testing.assert_array_equal(transitions.actions[:6], synthetic_episode(0, 6).actions)


def test_byte_ranges_serve_an_unchanged_or_copied_dataset(tmp_path, monkeypatch):
    dataset = make_dataset(tmp_path / "demos")
    for seed in range(3):
        dataset.append(synthetic_episode(seed, 6))
    shutil.copytree(tmp_path / "demos", tmp_path / "copy")  # keeps modification times

    def no_hdf5(*args: object) -> None:
        raise AssertionError("read through HDF5")

    monkeypatch.setattr("clonelab.recorder.dataset_reads._read_through_hdf5", no_hdf5)
    for path in ("demos", "copy"):
        transitions = DemoDataset.open(tmp_path / path).transitions()
        np.testing.assert_array_equal(
            transitions.actions, np.concatenate([synthetic_episode(s, 6).actions
                                                 for s in range(3)]))
