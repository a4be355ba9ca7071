"""A tabular plan as a CloneLab pixel policy, so `clonelab eval` and the app can run it.

MaxEnt IRL on a MiniGrid room yields a plan over (x, y, heading) states, but the app's
policies read pixels. The plan is distilled by behavioral cloning: play the room from the
demos' seeds, taking a random action now and then so that states off the plan's path show up,
label every visited frame with the plan's action there, and train a CNN `Policy` on those
labels with `models.training.train_bc` (a DAgger-style labelling by the planner itself).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from clonelab.models.irl.tabular import (
    MINIGRID_FORWARD,
    MINIGRID_LEFT,
    MINIGRID_RIGHT,
    Plan,
    TabularMDP,
    minigrid_state_reader,
)
from clonelab.models.policy import Policy
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

NAVIGATION = (MINIGRID_LEFT, MINIGRID_RIGHT, MINIGRID_FORWARD)


@dataclass(frozen=True)
class _Rows:
    """Labelled frames, one row per step (the `Transitions` surface train_bc reads)."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    episode_ids: np.ndarray


class PlanLabels:
    """Frames labelled with a plan's actions, with the dataset surface `train_bc` reads."""

    def __init__(self, env_id: str, observation_space: gym.Space, action_space: gym.Space,
                 rows: _Rows) -> None:
        self.env_id = env_id
        self.observation_space = observation_space
        self.action_space = action_space
        self._rows = rows

    @property
    def episode_ids(self) -> list[int]:
        """Ids of the labelled episodes."""
        return sorted(set(self._rows.episode_ids.tolist()))

    def fingerprint(self) -> str:
        """A digest of the labels."""
        digest = hashlib.sha256(self._rows.observations.tobytes())
        digest.update(self._rows.actions.tobytes())
        return digest.hexdigest()[:16]

    def transitions(self, episode_ids: Sequence[int] | None = None) -> _Rows:
        """All rows (the labels are trained on whole)."""
        return self._rows


def label_frames(env: gym.Env, mdp: TabularMDP, plan: Plan, *, seeds: Sequence[int],
                 explore: float, max_steps: int, rng: np.random.Generator) -> PlanLabels:
    """Play from each seed, acting randomly with probability `explore`; label with the plan."""
    read = minigrid_state_reader(env, mdp)
    frames, labels, episodes = [], [], []
    for episode, seed in enumerate(seeds):
        observation, _ = env.reset(seed=int(seed))
        for _ in range(max_steps):
            planned = int(plan.actions[read()])
            frames.append(observation)
            labels.append(planned)
            episodes.append(episode)
            action = int(rng.choice(NAVIGATION)) if rng.random() < explore else planned
            observation, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
    rows = _Rows(np.stack(frames), np.asarray(labels, dtype=np.int64),
                 np.zeros(len(labels)), np.asarray(episodes, dtype=np.int64))
    spec_id = env.spec.id if env.spec else mdp.name
    return PlanLabels(spec_id, env.observation_space, env.action_space, rows)


def distill_plan(env: gym.Env, mdp: TabularMDP, plan: Plan, *, seeds: Sequence[int],
                 seed: int = 0, bc_steps: int = 200, explore: float = 0.3,
                 repeats: int = 8) -> Policy:
    """A CNN Policy that imitates `plan` in `env` (a pixel MiniGrid env from make_env).

    Each seed is played `repeats` times with different random detours.
    """
    rng = np.random.default_rng(seed)
    labels = label_frames(env, mdp, plan, seeds=[s for s in seeds for _ in range(repeats)],
                          explore=explore, max_steps=4 * mdp.n_states, rng=rng)
    config = TrainConfig(steps=bc_steps, batch_size=64, seed=seed, device="cpu",
                         val_fraction=0.0, log_every=bc_steps)
    return drain(train_bc(config, labels)).policy
