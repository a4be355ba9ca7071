"""Test helpers: scripted-expert demos in a real `DemoDataset`, and a fixed action source."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.recorder.dataset import DemoDataset


def expert_demos(path: Path, env_id: str, *, seeds: Iterable[int], noise: float = 0.0,
                 max_steps: int | None = None, tags: Iterable[str] = ("expert",),
                 dataset: DemoDataset | None = None) -> DemoDataset:
    """One expert episode per reset seed, appended to `dataset` or to a new one at `path`."""
    if dataset is None:
        return record_expert(path, env_id, seeds=seeds, noise=noise, max_steps=max_steps,
                             tags=tags, operator="script")
    for episode in expert_episodes(env_id, seeds, noise=noise, max_steps=max_steps):
        dataset.append(episode, tags=tuple(tags))
    return dataset


class Fixed:
    """An action source that returns whatever `action` is set to."""

    def __init__(self, action: Any) -> None:
        self.action = action

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: Any) -> Any:
        return self.action
