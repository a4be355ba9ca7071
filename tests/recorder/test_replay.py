"""Re-simulating a recorded episode rebuilds its frames and finds where it stops matching."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from clonelab.recorder.replay import (
    CompressedFrames,
    RecordedActions,
    ReplayError,
    ReplayProgress,
    check_episode,
    observations_match,
    resimulate,
)


@dataclass(frozen=True, kw_only=True)
class Episode:
    observations: np.ndarray
    actions: np.ndarray
    seed: int | None
    options: Any = None
    played_actions: np.ndarray | None = None


def record_cartpole(seed: int, steps: int = 40) -> Episode:
    """Play CartPole with seeded random actions, keeping what a recording keeps."""
    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    observations, actions = [obs], []
    for _ in range(steps):
        action = int(rng.integers(2))
        obs, _, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        actions.append(action)
        if terminated or truncated:
            break
    env.close()
    return Episode(observations=np.stack(observations), actions=np.array(actions), seed=seed)


@pytest.fixture
def render_env():
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    yield env
    env.close()


def test_clean_episode_replays_exactly_with_a_frame_per_observation(render_env) -> None:
    episode = record_cartpole(seed=3)
    gen = resimulate(render_env, episode)
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    assert result.matches and result.first_mismatch is None
    assert len(result.frames) == len(episode.observations)
    assert result.frames[0].shape == (400, 600, 3) and result.frames[0].dtype == np.uint8
    np.testing.assert_allclose(result.observations, episode.observations)
    assert progress[-1] == ReplayProgress(step=len(episode.actions), total=len(episode.actions))
    assert np.nanmax(result.errors) == 0.0


def test_tampered_observation_is_flagged_at_its_step(render_env) -> None:
    episode = record_cartpole(seed=3)
    tampered_obs = episode.observations.copy()
    tampered_obs[7, 2] += 0.01
    result = check_episode(render_env, replace(episode, observations=tampered_obs))
    assert result.first_mismatch == 7
    assert result.errors[7] == pytest.approx(0.01, rel=1e-3)
    assert result.errors[6] == 0.0


def test_tampered_action_is_flagged_where_the_state_changes(render_env) -> None:
    episode = record_cartpole(seed=5)
    actions = episode.actions.copy()
    actions[10] = 1 - actions[10]
    result = check_episode(render_env, replace(episode, actions=actions))
    # Action a_10 produces observation 11: the first one that can differ.
    assert result.first_mismatch == 11


def test_a_different_seed_mismatches_from_the_first_observation(render_env) -> None:
    episode = record_cartpole(seed=3)
    result = check_episode(render_env, replace(episode, seed=4))
    assert result.first_mismatch == 0


def test_episode_without_seed_cannot_be_replayed(render_env) -> None:
    episode = replace(record_cartpole(seed=3), seed=None)
    with pytest.raises(ReplayError, match="seed"):
        check_episode(render_env, episode)


def test_rejected_action_names_the_step(render_env) -> None:
    episode = record_cartpole(seed=3, steps=5)
    actions = episode.actions.copy()
    actions[2] = 7
    with pytest.raises(ReplayError, match="step 2"):
        check_episode(render_env, replace(episode, actions=actions))


def test_observations_match_tolerates_float_noise_not_shape_changes() -> None:
    a = np.array([0.1, 0.2, np.nan], dtype=np.float32)
    assert observations_match(a, a + 1e-8)
    assert not observations_match(a, a + 1e-3)
    assert not observations_match(a, a[:2])
    image = np.zeros((4, 4, 3), np.uint8)
    other = image.copy()
    other[0, 0, 0] = 1
    assert observations_match(image, image.copy())
    assert not observations_match(image, other)


def test_compressed_frames_round_trip() -> None:
    frames = CompressedFrames()
    rng = np.random.default_rng(0)
    originals = [rng.integers(0, 255, (5, 7, 3), dtype=np.uint8) for _ in range(3)]
    for frame in originals:
        frames.append(frame)
    assert len(frames) == 3
    for stored, original in zip(frames, originals, strict=True):
        np.testing.assert_array_equal(stored, original)


def test_recorded_actions_play_back_in_order() -> None:
    source = RecordedActions([1, 0, 1])
    assert [source.act(None) for _ in range(3)] == [1, 0, 1]
    assert source.exhausted
    source.reset(seed=9)
    assert source.act(None) == 1 and source.index == 1
    source.seek(2)
    assert source.act(None) == 1 and source.exhausted
