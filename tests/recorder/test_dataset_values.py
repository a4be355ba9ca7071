"""Dtypes and bounds are checked before any cast: what does not fit the spaces is refused.

Float actions for a Discrete space, actions outside the action space and NaN/inf values are
refused in one line naming the episode and the first row (step) at fault, wherever they come
from: a recording, an append, a Minari dataset made elsewhere, or an episode file.
"""

from __future__ import annotations

import json

import gymnasium as gym
import h5py
import numpy as np
import pytest

from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.episode import EpisodeBuffer, EpisodeData
from tests.recorder.crash_writer import DISCRETE_ACTIONS, VECTOR_SPACE, synthetic_episode
from tests.recorder.test_dataset_minari import build_minari_dataset


def with_actions(episode: EpisodeData, actions: np.ndarray) -> EpisodeData:
    return EpisodeData(**{**episode.__dict__, "actions": actions})


def refused_on_open(path) -> str:
    with pytest.raises(DatasetError) as caught:
        DemoDataset.open(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_minari_dataset_with_float_actions_for_discrete_is_refused(tmp_path):
    episode = synthetic_episode(0, 5)
    floats = with_actions(episode, episode.actions + 0.7)  # 0.7, 1.7, 2.7: cast, all fit
    build_minari_dataset(tmp_path / "made-v0" / "data", [synthetic_episode(1, 4), floats])
    main_file = tmp_path / "made-v0" / "data" / "main_data.hdf5"
    with h5py.File(main_file, "r") as file:
        assert file["episode_1/actions"].dtype.kind == "f"  # stored as Minari was given them

    message = refused_on_open(tmp_path / "made-v0")

    assert message == (f"{main_file}: episode_1: actions have dtype float64, expected int64 "
                       "(Discrete(3))")


def test_a_minari_dataset_with_an_action_outside_discrete_is_refused(tmp_path):
    episode = synthetic_episode(0, 6)
    actions = episode.actions.copy()
    actions[4] = 3
    build_minari_dataset(tmp_path / "made-v0" / "data", [with_actions(episode, actions)])

    message = refused_on_open(tmp_path / "made-v0")

    assert message.endswith("episode_0: actions fall outside Discrete(3) (0..2): first at row 4 "
                            "(3)")


@pytest.mark.parametrize(("space", "actions", "problem"), [
    (gym.spaces.Box(-1.0, 1.0, (2,), np.float32), [[0.5, 0.5], [0.0, 1.5], [2.0, 0.0]],
     "actions fall outside Box(-1.0, 1.0, (2,), float32): first at row 1 ([0.0, 1.5])"),
    (gym.spaces.Box(-1.0, 1.0, (2,), np.float32), [[0.5, 0.5], [0.0, 0.0], [-1.0, -1.5]],
     "first at row 2 ([-1.0, -1.5])"),
    (gym.spaces.MultiDiscrete([3, 2]), [[0, 1], [2, 2], [0, 0]],
     "actions fall outside MultiDiscrete([3 2]): first at row 1 ([2, 2])"),
    (gym.spaces.MultiDiscrete([3, 2], start=[1, 0]), [[1, 1], [3, 1], [0, 0]],
     "first at row 2 ([0, 0])"),
    (gym.spaces.MultiBinary(2), [[0, 1], [1, 1], [0, 2]],
     "actions fall outside MultiBinary(2): first at row 2 ([0, 2])"),
    (gym.spaces.Discrete(3, start=1), [1, 3, 0], "actions fall outside Discrete(3, start=1) "
                                                 "(1..3): first at row 2 (0)"),
    (gym.spaces.Discrete(3), [0.0, 1.0, 2.0], "actions have dtype float64, expected int64"),
    (gym.spaces.MultiBinary(2), [[0.0, 1.0]] * 3, "actions have dtype float64, expected int8"),
])
def test_append_refuses_actions_outside_the_action_space(tmp_path, space, actions, problem):
    dataset = DemoDataset.create(tmp_path / "demos", env_id="Synthetic-v0",
                                 observation_space=VECTOR_SPACE, action_space=space)
    base = synthetic_episode(0, 3)
    with pytest.raises(DatasetError, match="episode refused") as caught:
        dataset.append(with_actions(base, np.array(actions)))
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)
    assert len(DemoDataset.open(tmp_path / "demos")) == 0


def test_box_actions_on_the_bounds_are_kept(tmp_path):
    space = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)
    dataset = DemoDataset.create(tmp_path / "demos", env_id="Synthetic-v0",
                                 observation_space=VECTOR_SPACE, action_space=space)
    actions = np.array([[-2.0], [2.0], [0.0]])  # float64 from a policy: fits once stored
    dataset.append(with_actions(synthetic_episode(0, 3), actions))
    np.testing.assert_array_equal(dataset.load_episode(0).actions, actions.astype(np.float32))


def test_a_recording_with_float_discrete_actions_is_refused_not_cast():
    buffer = EpisodeBuffer(np.zeros(4, np.float32), seed=0, options=None, timestamp=0.0)
    for step, action in enumerate([1, 1.7, 2]):
        buffer.add(action, np.zeros(4, np.float32), 1.0, step == 2, False, actor="agent",
                   device="policy", timestamp=float(step + 1))

    episode = buffer.freeze(VECTOR_SPACE, DISCRETE_ACTIONS)

    assert episode.actions[1] == 1.7  # kept as given, so that append refuses it


def test_a_rewritten_episode_file_with_float_actions_is_unreadable(tmp_path):
    dataset = DemoDataset.create(tmp_path / "demos", env_id="Synthetic-v0",
                                 observation_space=VECTOR_SPACE, action_space=DISCRETE_ACTIONS)
    dataset.append(synthetic_episode(0, 5))
    dataset.close()  # metadata.json lists the commit
    episode_file = tmp_path / "demos" / "data" / "episodes" / "episode_0.hdf5"
    with h5py.File(episode_file, "a") as file:
        actions = file["actions"][()]
        del file["actions"]
        file["actions"] = actions + 0.5
    metadata_file = tmp_path / "demos" / "data" / "metadata.json"
    doc = json.loads(metadata_file.read_text())
    doc["clonelab"]["episodes"][0]["raw_offsets"] = None  # transitions() reads through HDF5
    metadata_file.write_text(json.dumps(doc))

    reopened = DemoDataset.open(tmp_path / "demos")
    for read in (lambda: reopened.load_episode(0), reopened.transitions):
        with pytest.raises(DatasetError) as caught:
            read()
        assert str(caught.value).startswith(f"{episode_file}: episode 0 is unreadable")
        assert "actions have dtype float64, expected int64" in str(caught.value)


@pytest.mark.parametrize(("field", "row", "value", "problem"), [
    ("rewards", 2, np.nan, "rewards hold NaN or infinite values (first at row 2)"),
    ("observations", 3, np.inf, "observations hold NaN or infinite values (first at row 3)"),
    ("actions", 1, 5, "actions fall outside Discrete(3) (0..2): first at row 1 (5)"),
])
@pytest.mark.parametrize("source", ["directory", "export"])
def test_values_changed_in_a_file_are_refused_when_read(tmp_path, field, row, value, problem,
                                                       source):
    dataset = DemoDataset.create(tmp_path / "demos", env_id="Synthetic-v0",
                                 observation_space=VECTOR_SPACE, action_space=DISCRETE_ACTIONS)
    for seed in range(2):
        dataset.append(synthetic_episode(seed, 5))
    if source == "export":
        path = dataset.export(tmp_path / "demos.hdf5")
        file_name, group = path, "episode_1/"
    else:
        path = tmp_path / "demos"
        file_name, group = path / "data" / "episodes" / "episode_1.hdf5", ""
    with h5py.File(file_name, "a") as file:
        file[group + field][row] = value  # in place: same byte ranges, other bytes

    opened = DemoDataset.open(path)
    for read in (opened.transitions, lambda: opened.load_episode(1)):
        with pytest.raises(DatasetError) as caught:
            read()
        assert str(caught.value) == f"{file_name}: episode 1 is unreadable ({problem})"
