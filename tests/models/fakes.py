"""An in-memory stand-in for `recorder.dataset.DemoDataset`, filled by scripted rollouts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np


def cartpole_controller(observation: np.ndarray) -> int:
    """Push the cart towards the side the pole is falling to (a near-perfect CartPole expert)."""
    return 1 if observation[2] + 0.5 * observation[3] > 0 else 0


def pendulum_pd(observation: np.ndarray) -> np.ndarray:
    """A PD controller on the pole angle; good near the top, clipped to the torque bounds."""
    cos, sin, velocity = observation
    angle = np.arctan2(sin, cos)
    return np.clip(np.array([-10.0 * angle - 2.0 * velocity], dtype=np.float32), -2.0, 2.0)


@dataclass(frozen=True)
class FakeTransitions:
    """One row per step, as `DemoDataset.transitions()` gives them."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    episode_ids: np.ndarray


@dataclass(frozen=True)
class FakeEpisode:
    """A recorded episode: T+1 observations, T actions and rewards."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


class FakeDataset:
    """The reading surface of `DemoDataset` over episodes kept in memory."""

    def __init__(
        self,
        env_id: str,
        observation_space: gym.Space,
        action_space: gym.Space,
        episodes: Sequence[FakeEpisode],
    ) -> None:
        self.env_id = env_id
        self.observation_space = observation_space
        self.action_space = action_space
        self.episodes = list(episodes)

    @property
    def episode_ids(self) -> list[int]:
        return list(range(len(self.episodes)))

    def __len__(self) -> int:
        return len(self.episodes)

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.env_id.encode())
        for episode in self.episodes:
            digest.update(np.ascontiguousarray(episode.observations).tobytes())
            digest.update(np.ascontiguousarray(episode.actions).tobytes())
        return digest.hexdigest()[:16]

    def transitions(self, episode_ids: Sequence[int] | None = None) -> FakeTransitions:
        ids = self.episode_ids if episode_ids is None else list(episode_ids)
        chosen = [self.episodes[i] for i in ids]
        return FakeTransitions(
            observations=np.concatenate([e.observations[:-1] for e in chosen]),
            actions=np.concatenate([e.actions for e in chosen]),
            rewards=np.concatenate([e.rewards for e in chosen]),
            episode_ids=np.concatenate([
                np.full(len(e.actions), i, dtype=np.int64)
                for i, e in zip(ids, chosen, strict=True)
            ]),
        )


def rollout(env: gym.Env, controller: Callable[[Any], Any], seed: int) -> FakeEpisode:
    """Play one episode of `env` with `controller`, reset with `seed`."""
    observation, _ = env.reset(seed=seed)
    observations, actions, rewards = [observation], [], []
    done = False
    while not done:
        action = controller(observation)
        observation, reward, terminated, truncated, _ = env.step(action)
        observations.append(observation)
        actions.append(action)
        rewards.append(reward)
        done = terminated or truncated
    return FakeEpisode(
        observations=np.asarray(observations),
        actions=np.asarray(actions, dtype=env.action_space.dtype),
        rewards=np.asarray(rewards, dtype=np.float64),
    )


def record(
    env_id: str, controller: Callable[[Any], Any], *, episodes: int, seed: int = 0, **kwargs: Any
) -> FakeDataset:
    """A fake dataset of `episodes` controller rollouts of `gymnasium.make(env_id)`."""
    env = gym.make(env_id, **kwargs)
    try:
        recorded = [rollout(env, controller, seed + i) for i in range(episodes)]
    finally:
        env.close()
    return FakeDataset(env_id, env.observation_space, env.action_space, recorded)
