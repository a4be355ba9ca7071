"""Real demo datasets for the learning tests: whole noise-free scripted-expert episodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clonelab.models.expert_demos import record_expert
from clonelab.recorder.dataset import DemoDataset


def record_expert_dataset(path: Path, env_id: str, *, episodes: int, seed: int = 0,
                          **env_kwargs: Any) -> DemoDataset:
    """A dataset at `path` of `episodes` noise-free expert episodes reset with seed, seed+1, ...

    `env_kwargs` build a variant of the env (the dataset keeps the plain env id).
    """
    return record_expert(path, env_id, seeds=range(seed, seed + episodes), env_kwargs=env_kwargs)
