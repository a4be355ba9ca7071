"""Test helpers: scripted-expert demos in a real `DemoDataset`, and a fixed action source."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from clonelab.models.failures.takeover import Solo, play_episode
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import make_expert
from clonelab.recorder.session import PlaySession


def expert_demos(path: Path, env_id: str, *, seeds: Iterable[int], noise: float = 0.0,
                 max_steps: int | None = None, tags: Iterable[str] = ("expert",),
                 dataset: DemoDataset | None = None) -> DemoDataset:
    """One expert episode per reset seed, appended to `dataset` or to a new one at `path`."""
    env = make_env(env_id)
    try:
        if dataset is None:
            dataset = DemoDataset.create(path, env_id=env_id,
                                         observation_space=env.observation_space,
                                         action_space=env.action_space, operator="script")
        session = PlaySession(env, env_id=env_id)
        expert = Solo(make_expert(env, noise=noise), actor="expert", device="script")
        for seed in seeds:
            played = play_episode(session, expert, seed=seed, max_steps=max_steps)
            dataset.append(played.episode, tags=tuple(tags))
    finally:
        env.close()
    return dataset


class Fixed:
    """An action source that returns whatever `action` is set to."""

    def __init__(self, action: Any) -> None:
        self.action = action

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: Any) -> Any:
        return self.action
