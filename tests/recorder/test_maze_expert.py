"""PointMaze_TwoWays-v3: a maze of two equally good ways, and an expert that takes both."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from clonelab.recorder.catalog import get_entry, make_env
from clonelab.recorder.experts import make_expert
from clonelab.recorder.maze_envs import TWO_WAYS_ID, TWO_WAYS_MAX_STEPS

pytest.importorskip("gymnasium_robotics")


def side_taken(xs: list[float]) -> str:
    """Which way round the central block (x from -0.5 to 0.5) the ball went."""
    return "left" if min(xs) < -0.5 else "right" if max(xs) > 0.5 else "neither"


def run(seeds, *, noise=0.0):
    """(reached the goal, side) per seed, the expert reset with each episode's seed."""
    env = make_env(TWO_WAYS_ID)
    expert = make_expert(env, noise=noise, seed=0)
    outcomes = []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        expert.reset(seed=seed)
        xs, done, terminated = [], False, False
        while not done:
            action = expert.act(observation)
            assert env.action_space.contains(action)
            observation, _, terminated, truncated, _ = env.step(action)
            xs.append(float(observation["achieved_goal"][0]))
            done = terminated or truncated
        outcomes.append((terminated, side_taken(xs)))
    env.close()
    return outcomes


def test_the_expert_reaches_the_goal_both_ways_round_about_half_the_time():
    outcomes = run(range(10))
    assert all(reached for reached, _ in outcomes)
    sides = [side for _, side in outcomes]
    assert 3 <= sides.count("left") <= 7 and sides.count("left") + sides.count("right") == 10


def test_an_episodes_seed_decides_its_side_and_noise_makes_the_expert_worse():
    assert run([4, 5, 4])[2] == run([4])[0]
    assert run([4])[0][1] == run([4, 4])[1][1]
    noisy = run(range(4), noise=1.0)
    assert not any(reached for reached, _ in noisy)


def test_the_env_observes_a_dict_and_its_controls_push_the_ball_as_shown():
    env = make_env(TWO_WAYS_ID)
    entry = get_entry(TWO_WAYS_ID)
    assert isinstance(env.observation_space, gym.spaces.Dict)
    assert env.spec.max_episode_steps == TWO_WAYS_MAX_STEPS
    assert entry.observation_kind == "vector" and entry.action_kind == "continuous"
    np.testing.assert_array_equal(entry.keyboard.action(["left", "up"]), [-1.0, 1.0])
    for name, direction in (("right", 0), ("up", 1)):
        start, _ = env.reset(seed=0)
        for _ in range(10):
            observation, *_ = env.step(entry.keyboard.action([name]))
        moved = observation["achieved_goal"] - start["achieved_goal"]
        assert moved[direction] > 0.1 and abs(moved[1 - direction]) < 0.02
    assert entry.gamepad is not None and len(entry.gamepad.axes) == 2
    env.close()


def test_frames_render_without_a_display():
    env = make_env(TWO_WAYS_ID, render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    env.close()
    assert frame.shape == (240, 240, 3) and frame.dtype == np.uint8 and frame.std() > 0
