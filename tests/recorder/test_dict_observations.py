"""Dict observations: held flat by key, stored as Minari stores them, refused when unflattenable."""

from __future__ import annotations

import gymnasium as gym
import h5py
import numpy as np
import pytest

from clonelab.recorder import schema
from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.dict_observations import flat_space, flatten_batch, flatten_observation
from clonelab.recorder.session import PlaySession
from tests.recorder.crash_writer import BOX_ACTIONS

# Keys out of order on purpose: gymnasium sorts them, and so does the flat vector.
GOAL_SPACE = gym.spaces.Dict({
    "observation": gym.spaces.Box(-5.0, 5.0, (4,), np.float64),
    "desired_goal": gym.spaces.Box(-5.0, 5.0, (2,), np.float64),
    "achieved_goal": gym.spaces.Box(-5.0, 5.0, (2,), np.float64),
    "phase": gym.spaces.Discrete(3, start=1),
})


class GoalEnv(gym.Env):
    """A tiny goal-conditioned env with Dict observations, as gymnasium-robotics' mazes have."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}
    observation_space = GOAL_SPACE
    action_space = BOX_ACTIONS

    def __init__(self, render_mode=None):
        self.render_mode = render_mode

    def render(self):
        return np.zeros((8, 8, 3), np.uint8)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = self.np_random.uniform(-1, 1, 2)
        self.goal = self.np_random.uniform(-1, 1, 2)
        self.t = 0
        return self._observation(), {}

    def _observation(self):
        return {"observation": np.concatenate([self.position, [0.1 * self.t, -0.1]]),
                "desired_goal": self.goal.copy(), "achieved_goal": self.position.copy(),
                "phase": 1 + self.t % 3}

    def step(self, action):
        self.position = self.position + 0.1 * np.asarray(action, np.float64)
        self.t += 1
        return self._observation(), -1.0, self.t >= 5, False, {}


def goal_episode(seed: int):
    env = GoalEnv()
    session = PlaySession(env, env_id="GoalEnv-v0")
    session.reset(seed=seed)
    while not session.episode_over:
        session.step(np.array([0.5, -0.5], np.float32), actor="expert", device="script")
    return session.finish_episode()


def test_dict_observations_are_flattened_by_key_in_the_spaces_order():
    observation = GOAL_SPACE.sample()
    flat = flatten_observation(GOAL_SPACE, observation)
    assert flat_space(GOAL_SPACE).shape == (11,)
    np.testing.assert_array_equal(flat[:2], observation["achieved_goal"])
    np.testing.assert_array_equal(flat[2:4], observation["desired_goal"])
    np.testing.assert_array_equal(flat[4:8], observation["observation"])
    assert flat[8:].tolist() == [float(observation["phase"] == p) for p in (1, 2, 3)]
    batch = {key: np.stack([value, value]) for key, value in observation.items()}
    np.testing.assert_array_equal(flatten_batch(GOAL_SPACE, batch), [flat, flat])


def test_a_session_records_flat_rows_and_the_dataset_stores_a_dataset_per_key(tmp_path):
    episode = goal_episode(3)
    assert episode.observations.shape == (6, 11) and episode.observations.dtype == np.float64
    dataset = DemoDataset.create(tmp_path / "goals", env_id="GoalEnv-v0",
                                 observation_space=GOAL_SPACE, action_space=BOX_ACTIONS)
    dataset.append(episode)
    dataset.append(goal_episode(4))

    reopened = DemoDataset.open(tmp_path / "goals")
    assert reopened.observation_space == GOAL_SPACE
    np.testing.assert_array_equal(reopened.load_episode(0).observations, episode.observations)
    transitions = reopened.transitions()
    assert transitions.observations.shape == (10, 11)
    np.testing.assert_array_equal(transitions.observations[:5], episode.observations[:5])
    files = sorted((tmp_path / "goals").rglob("episode_0.hdf5"))
    with h5py.File(files[0]) as file:
        stored = file["observations"]
        assert isinstance(stored, h5py.Group)
        assert sorted(stored) == ["achieved_goal", "desired_goal", "observation", "phase"]
        assert stored["observation"].shape == (6, 4)
        assert stored["phase"][()].tolist() == [1, 2, 3, 1, 2, 3]


def test_minari_load_dataset_reads_dict_observations_as_dicts(tmp_path, monkeypatch):
    minari = pytest.importorskip("minari")
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    dataset = DemoDataset.create(tmp_path / "goals-v0", env_id="GoalEnv-v0",
                                 observation_space=GOAL_SPACE, action_space=BOX_ACTIONS)
    episode = goal_episode(7)
    dataset.append(episode)
    dataset.close()  # brings Minari's metadata.json up to date

    loaded = minari.load_dataset("goals-v0")

    assert loaded.observation_space == GOAL_SPACE
    read = next(iter(loaded.iterate_episodes()))
    assert set(read.observations) == set(GOAL_SPACE.spaces)
    np.testing.assert_array_equal(flatten_batch(GOAL_SPACE, read.observations),
                                  episode.observations)


def test_an_unflattenable_entry_is_refused_in_one_line_naming_its_key(tmp_path):
    space = gym.spaces.Dict({"image": gym.spaces.Box(0, 1, (2,)),
                             "mission": gym.spaces.Text(20)})
    with pytest.raises(DatasetError) as refused:
        DemoDataset.create(tmp_path / "text", env_id="GoalEnv-v0", observation_space=space,
                           action_space=BOX_ACTIONS)
    message = str(refused.value)
    assert "'mission'" in message and "\n" not in message
    nested = gym.spaces.Dict({"outer": gym.spaces.Dict({"steps": gym.spaces.Sequence(
        gym.spaces.Discrete(2))})})
    with pytest.raises(ValueError, match="'outer/steps'"):
        schema.check_space(nested)
    text_json = '{"type": "Dict", "subspaces": {"mission": {"type": "Text"}}}'
    with pytest.raises(ValueError, match="key 'mission'"):
        schema.space_from_json(text_json)
