"""Small real datasets for the app's tests: scripted-expert episodes, short by default."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from clonelab.app.window.workspace import Workspace
from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset, EpisodeData


def play_expert(env_id: str, seed: int, *, noise: float = 0.0,
                max_steps: int | None = None) -> EpisodeData:
    """One expert episode reset with `seed` (cut at `max_steps`)."""
    (episode,) = expert_episodes(env_id, [seed], noise=noise, max_steps=max_steps)
    return episode


def expert_dataset(path: Path, env_id: str = "CartPole-v1", *, seeds: Iterable[int] = (0, 1, 2),
                   noise: float = 0.0, max_steps: int | None = 60,
                   tags: Iterable[str] = ("expert",), operator: str = "tester") -> DemoDataset:
    """A dataset at `path` holding one expert episode per seed (60 steps each by default)."""
    return record_expert(path, env_id, seeds=seeds, noise=noise, max_steps=max_steps, tags=tags,
                         operator=operator)


def empty_dataset(path: Path, env_id: str = "CartPole-v1") -> Path:
    """A new dataset of `env_id` without episodes, at `path`."""
    env = make_env(env_id)
    DemoDataset.create(path, env_id=env_id, observation_space=env.observation_space,
                       action_space=env.action_space)
    env.close()
    return path


def workspace_on(dataset: Path, env_id: str) -> Workspace:
    """A workspace on `env_id` with the dataset at `dataset` selected."""
    workspace = Workspace(env_id)
    workspace.select_dataset(dataset)
    return workspace
