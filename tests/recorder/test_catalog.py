"""The env catalog: every entry builds, steps, and carries controls that fit its env."""

import gymnasium
import numpy as np
import pytest

from clonelab.recorder.catalog import (
    CATALOG,
    DEFAULT_ENV_ID,
    EnvBuildError,
    EnvEntry,
    UnknownEnvError,
    env_fps,
    get_entry,
    make_env,
    observation_kind_of,
)
from clonelab.recorder.gamepad import GamepadMap
from clonelab.recorder.keyboard import KeyboardMap


@pytest.mark.parametrize("env_id", sorted(CATALOG))
def test_every_entry_builds_and_its_controls_fit_the_env(env_id):
    entry = get_entry(env_id)
    env = make_env(env_id)
    try:
        observation, _ = env.reset(seed=0)
        assert env.observation_space.contains(observation)
        assert entry.keyboard.action_space == env.action_space
        assert entry.gamepad is not None
        assert entry.gamepad.action_space == env.action_space
        assert entry.observation_kind == observation_kind_of(env.observation_space)
        # Never faster than real time.
        assert 0 < entry.fps <= env.metadata["render_fps"]
        for action in (entry.keyboard.noop_action(), entry.keyboard.action(["left", "up"])):
            assert env.action_space.contains(action)
        observation, *_ = env.step(entry.keyboard.noop_action())
        assert env.observation_space.contains(observation)
    finally:
        env.close()


@pytest.mark.parametrize("env_id", sorted(CATALOG))
def test_every_bound_key_gives_an_action_inside_the_action_space(env_id):
    entry = get_entry(env_id)
    space = entry.keyboard.action_space
    for key in entry.keyboard.bound_names:
        assert space.contains(entry.keyboard.action([key])), key
    assert space.contains(entry.keyboard.action(entry.keyboard.bound_names))


def test_catalog_covers_the_required_envs_and_the_default():
    assert DEFAULT_ENV_ID == "LunarLander-v3"
    assert DEFAULT_ENV_ID in CATALOG
    expected = {
        "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Acrobot-v1",
        "Pendulum-v1", "LunarLander-v3", "LunarLanderContinuous-v3", "CarRacing-v3",
        "BipedalWalker-v3", "ALE/Pong-v5", "ALE/Breakout-v5", "MiniGrid-Empty-5x5-v0",
        "MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-5x5-v0", "PointMaze_TwoWays-v3",
    }
    assert set(CATALOG) == expected
    continuous = {env_id for env_id, entry in CATALOG.items() if entry.action_kind == "continuous"}
    assert continuous == {
        "MountainCarContinuous-v0", "Pendulum-v1", "LunarLanderContinuous-v3", "CarRacing-v3",
        "BipedalWalker-v3", "PointMaze_TwoWays-v3",
    }
    assert all(CATALOG[env_id].gamepad.axes for env_id in continuous)


def test_minigrid_observations_are_rgb_pixels():
    env = make_env("MiniGrid-Empty-5x5-v0")
    observation, _ = env.reset(seed=0)
    assert env.observation_space == gymnasium.spaces.Box(0, 255, (40, 40, 3), np.uint8)
    assert observation.shape == (40, 40, 3) and observation.dtype == np.uint8
    assert get_entry("MiniGrid-Empty-5x5-v0").turn_based


def test_minigrid_ids_outside_the_catalog_get_pixels_too():
    env = make_env("MiniGrid-LavaGapS5-v0")
    assert observation_kind_of(env.observation_space) == "image"


def test_other_registered_ids_are_built_plainly():
    env = make_env("Taxi-v4", render_mode="rgb_array")
    assert env.observation_space == gymnasium.spaces.Discrete(500)
    assert env.render_mode == "rgb_array"


def test_make_env_passes_keyword_arguments():
    env = make_env("LunarLander-v3", continuous=True)
    assert isinstance(env.action_space, gymnasium.spaces.Box)


@pytest.mark.parametrize(
    ("env_id", "kwargs", "fragment"),
    [
        ("NoSuchEnv-v0", {}, "NoSuchEnv"),
        ("CartPole-v99", {}, "CartPole"),
        ("CartPole-v1", {"no_such_argument": 1}, "no_such_argument"),
    ],
)
def test_make_env_failures_are_one_clear_line(env_id, kwargs, fragment):
    with pytest.raises(EnvBuildError) as caught:
        make_env(env_id, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot build environment {env_id!r}")
    assert fragment in message.split(":", 1)[1]


def test_unknown_entry_names_the_catalog_and_the_control_map_route():
    with pytest.raises(UnknownEnvError, match="not in the CloneLab catalog.*JSON control map"):
        get_entry("Taxi-v4")


def test_observation_kind_rejects_spaces_that_cannot_be_recorded():
    assert observation_kind_of(gymnasium.spaces.Box(-1, 1, (4,))) == "vector"
    with pytest.raises(ValueError, match="Box and Dict observations only"):
        observation_kind_of(gymnasium.spaces.Discrete(3))


def test_entry_rejects_controls_of_the_other_action_kind():
    discrete = KeyboardMap.from_dict({"left": 0}, action_space=gymnasium.spaces.Discrete(2), noop=0)
    box = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float32)
    continuous = GamepadMap.from_dict({}, action_space=box, noop=(0.0,))
    with pytest.raises(ValueError, match="gamepad map is continuous"):
        EnvEntry(
            env_id="X-v0", title="X", action_kind="discrete", keyboard=discrete,
            gamepad=continuous, fps=30, observation_kind="vector",
        )


def test_env_fps_is_the_catalogs_else_the_envs_render_fps():
    env = gymnasium.make("Taxi-v4")
    try:
        assert env_fps("CartPole-v1", env) == float(get_entry("CartPole-v1").fps)
        assert env_fps("Taxi-v4", env) == float(env.metadata["render_fps"])
    finally:
        env.close()
