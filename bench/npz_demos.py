"""Demonstrations as one ``.npz`` that both venvs read, and a training view of it for CloneLab.

The benchmarks hand exactly the same arrays to CloneLab, to imitation (another venv, another
gymnasium) and to the bare loop. `NpzDemos` offers the reading surface `train_bc` takes
(`models.data.DatasetLike`) over those arrays, so what is timed is training, not file reading
(loading a DemoDataset is timed on its own by bench/load_transitions.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np


@dataclass(frozen=True, kw_only=True)
class NpzTransitions:
    """One row per step, as `recorder.dataset.Transitions` lays them out."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    episode_ids: np.ndarray


def write_demos(path: str | Path, *, env_id: str, transitions: NpzTransitions) -> None:
    """Write the arrays (observations as float32) for both sides to read."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        env_id=env_id,
        observations=transitions.observations.astype(np.float32),
        actions=transitions.actions,
        rewards=transitions.rewards,
        episode_ids=transitions.episode_ids,
    )


class NpzDemos:
    """A `.npz` of demos with the `DatasetLike` surface: env id, spaces, transitions."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # Hashed once, on opening, as a DemoDataset's fingerprint hashes the index it read on
        # opening (22 us for 100 episodes): hashing the 1.2 MB file again in every run put
        # 1.5 ms of file reading into the training time (docs/benchmarks.md section 1).
        self._fingerprint = hashlib.sha256(self.path.read_bytes()).hexdigest()
        with np.load(self.path) as data:
            self.env_id = str(data["env_id"])
            self._transitions = NpzTransitions(
                observations=data["observations"],
                actions=data["actions"],
                rewards=data["rewards"],
                episode_ids=data["episode_ids"],
            )
        env = gym.make(self.env_id)
        self.observation_space = env.observation_space
        self.action_space = env.action_space
        env.close()
        self.episode_ids = [int(e) for e in np.unique(self._transitions.episode_ids)]

    def fingerprint(self) -> str:
        """SHA-256 of the file's bytes (as they were when opened)."""
        return self._fingerprint

    def transitions(self, episode_ids: Sequence[int] | None = None) -> NpzTransitions:
        """All rows, or those of the given episodes."""
        if episode_ids is None:
            return self._transitions
        keep = np.isin(self._transitions.episode_ids, list(episode_ids))
        t = self._transitions
        return NpzTransitions(
            observations=t.observations[keep],
            actions=t.actions[keep],
            rewards=t.rewards[keep],
            episode_ids=t.episode_ids[keep],
        )
