"""Minari rebuilds the environment a CloneLab dataset was recorded in, wrappers included."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode import EpisodeBuffer

minari = pytest.importorskip("minari")


@pytest.fixture
def minari_root(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    return tmp_path


def record_random(env, seed: int, steps: int):
    """One episode of seeded random actions, as the recorder stores it."""
    observation, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    buffer = EpisodeBuffer(observation, seed=seed, options=None, timestamp=0.0)
    for step in range(steps):
        action = env.action_space.sample()
        observation, reward, terminated, truncated, _ = env.step(action)
        buffer.add(action, observation, float(reward), terminated, truncated, actor="agent",
                   device="policy", timestamp=step + 1.0)
        if terminated or truncated:
            break
    return buffer.freeze(env.observation_space, env.action_space)


@pytest.mark.parametrize("env_id", ["MiniGrid-Empty-5x5-v0", "CartPole-v1"])
def test_recover_environment_rebuilds_the_observations_recorded(minari_root, env_id):
    env = make_env(env_id)
    dataset = DemoDataset.create(minari_root / "clonelab" / "recovered-v0", env_id=env_id,
                                 observation_space=env.observation_space,
                                 action_space=env.action_space)
    episode = record_random(env, seed=3, steps=6)
    dataset.append(episode)
    env.close()

    recovered = minari.load_dataset("clonelab/recovered-v0").recover_environment()

    assert recovered.observation_space == dataset.observation_space
    observation, _ = recovered.reset(seed=3)
    np.testing.assert_array_equal(observation, episode.observations[0])
    for action, expected in zip(episode.actions, episode.observations[1:], strict=True):
        observation, *_ = recovered.step(action)
        np.testing.assert_array_equal(observation, expected)
    recovered.close()


def test_the_env_spec_names_importable_wrappers_with_their_arguments(minari_root):
    env = make_env("MiniGrid-Empty-5x5-v0")
    DemoDataset.create(minari_root / "grid-v0", env_id="MiniGrid-Empty-5x5-v0",
                       observation_space=env.observation_space, action_space=env.action_space)
    env.close()
    metadata = json.loads((minari_root / "grid-v0" / "data" / "metadata.json").read_text())
    wrappers = json.loads(metadata["env_spec"])["additional_wrappers"]
    assert [(w["entry_point"], w["kwargs"]) for w in wrappers] == [
        ("minigrid.wrappers:RGBImgObsWrapper", {"tile_size": 8}),
        ("minigrid.wrappers:ImgObsWrapper", {}),
    ]
