"""Small real datasets for the app's tests: scripted-expert episodes through a PlaySession."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset, EpisodeData
from clonelab.recorder.experts import make_expert
from clonelab.recorder.session import PlaySession


def play_expert(env_id: str, seed: int, *, noise: float = 0.0,
                max_steps: int | None = None) -> EpisodeData:
    """One expert episode reset with `seed` (cut at `max_steps`)."""
    env = make_env(env_id)
    try:
        session = PlaySession(env, env_id=env_id)
        expert = make_expert(env, noise=noise, seed=seed)
        observation = session.reset(seed=seed)
        expert.reset(seed=seed)
        while not session.episode_over and (max_steps is None or session.steps < max_steps):
            observation = session.step(expert.act(observation), actor="expert",
                                       device="script").obs
        return session.finish_episode()
    finally:
        env.close()


def expert_dataset(path: Path, env_id: str = "CartPole-v1", *, seeds: Iterable[int] = (0, 1, 2),
                   noise: float = 0.0, max_steps: int | None = 60,
                   tags: Iterable[str] = ("expert",), operator: str = "tester") -> DemoDataset:
    """A dataset at `path` holding one expert episode per seed."""
    env = make_env(env_id)
    dataset = DemoDataset.create(path, env_id=env_id, observation_space=env.observation_space,
                                 action_space=env.action_space, operator=operator)
    env.close()
    for seed in seeds:
        dataset.append(play_expert(env_id, seed, noise=noise, max_steps=max_steps),
                       tags=tuple(tags))
    return dataset
