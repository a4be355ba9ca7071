"""Frames for video export: CarRacing's step drawing reused, and a demo replayed in a process."""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.recorder.catalog import make_env
from clonelab.recorder.frames import rendered_frame
from clonelab.recorder.replay_process import ReplayProcess, ReplayProcessError


def test_car_racing_s_step_drawing_is_the_rendered_picture() -> None:
    env = make_env("CarRacing-v3", render_mode="rgb_array")
    try:
        env.reset(seed=3)
        differing = []
        for _ in range(15):
            env.step(np.array([0.0, 0.3, 0.0], np.float32))  # gas, no skid marks
            fast, full = rendered_frame(env), env.render()
            assert fast.shape == full.shape == (400, 600, 3)
            differing.append((fast != full).any(axis=2).mean())
        assert max(differing) < 0.005  # the reward counter's last 0.1 at most
        small = rendered_frame(env, 300)  # scaled straight from the drawing
        assert small.shape == (300, 450, 3)
        nearest = full[np.arange(300) * 400 // 300][:, np.arange(450) * 600 // 450]
        assert np.abs(small.astype(int) - nearest).mean() < 4  # the same picture, smoother
    finally:
        env.close()


def test_other_envs_are_rendered_as_usual() -> None:
    env = make_env("CartPole-v1", render_mode="rgb_array")
    try:
        env.reset(seed=0)
        env.step(0)
        assert np.array_equal(rendered_frame(env), env.render())
    finally:
        env.close()


def test_a_replay_process_plays_the_recorded_actions_from_the_seed() -> None:
    actions = [0, 1, 1, 0]
    replay = ReplayProcess("CartPole-v1", 5, None, actions)
    env = make_env("CartPole-v1", render_mode="rgb_array")
    try:
        env.reset(seed=5)
        first = replay.first()
        assert np.array_equal(first.frame, env.render()) and not first.done
        for index, action in enumerate(actions):
            replay.ask()
            step = replay.take()
            env.step(action)
            assert np.array_equal(step.frame, env.render())
            assert (step.action, step.episode_return) == (action, index + 1.0)
        assert step.done  # out of recorded actions
    finally:
        replay.close()
        env.close()


def test_a_failing_replay_is_one_line() -> None:
    replay = ReplayProcess("CartPole-v1", 0, None, [7])  # CartPole has actions 0 and 1
    try:
        replay.first()
        replay.ask()
        with pytest.raises(ReplayProcessError, match="the demo's replay failed") as error:
            replay.take()
        assert "\n" not in str(error.value)
    finally:
        replay.close()
