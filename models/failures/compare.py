"""Where does the clone part from the demo? Its action in each demo state against the demo's.

The comparison runs on the demo's own states (observations s_0 .. s_{T-1}), so it measures the
policy's agreement with the demonstrator step by step, free of compounding error; the first
step where the two disagree is where to look first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from clonelab.models.observations import episode_inputs_in_chunks
from clonelab.models.policy import Policy
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.schema import FRAMES_PER_CHUNK, row_shape

# Rows per forward pass: bounded memory for long image episodes ...
CHUNK = 1024
# ... and at most this many bytes of float inputs (about 300 stacked Pong inputs: a pass of
# 1,024 raised the app's peak by about 275 MiB; training's validation passes keep to the same).
CHUNK_BYTES = 32 * 2**20
# Observation rows read and preprocessed at a time: one HDF5 chunk of image frames (3 MB of
# Atari frames; a whole recorded Pong episode of 5,000 steps is 500 MB).
READ_ROWS = FRAMES_PER_CHUNK
# Continuous actions agree when every dimension is within this share of its range.
DEFAULT_TOLERANCE = 0.1


@dataclass(frozen=True, kw_only=True)
class ActionComparison:
    """Demo and policy actions at each demo step, and where they first disagree."""

    demo_actions: np.ndarray
    """(T, ...) the demonstrator's actions."""
    policy_actions: np.ndarray
    """(T, ...) the policy's action for the same observation."""
    distances: np.ndarray
    """(T,) 0/1 for Discrete; for Box the largest per-dimension gap as a share of its range."""
    agree: np.ndarray
    """(T,) True where the two actions agree (equal, or within the tolerance)."""
    first_divergence: int | None
    """The first step where they disagree, or None when they agree throughout."""

    @property
    def agreement(self) -> float:
        """The share of steps where the actions agree (1.0 for an empty episode)."""
        return float(self.agree.mean()) if len(self.agree) else 1.0


def _action_scale(space: gym.spaces.Box) -> np.ndarray:
    # Finite bounds: gaps as a share of the range; unbounded dimensions: raw gaps.
    low = np.asarray(space.low, dtype=np.float64)
    high = np.asarray(space.high, dtype=np.float64)
    finite = np.isfinite(low) & np.isfinite(high) & (high > low)
    return np.where(finite, high - low, 1.0)


def compare_actions(
    demo_actions: Any,
    policy_actions: Any,
    action_space: gym.Space,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ActionComparison:
    """Compare two equally long action sequences step by step."""
    demo = np.asarray(demo_actions)
    clone = np.asarray(policy_actions)
    if demo.shape != clone.shape:
        raise ValueError(f"cannot compare {demo.shape} demo actions with {clone.shape} policy "
                         "actions: one action per demo step is needed")
    steps = len(demo)
    if isinstance(action_space, gym.spaces.Discrete):
        distances = (demo != clone).astype(np.float64).reshape(steps)
        agree = distances == 0.0
    elif isinstance(action_space, gym.spaces.Box):
        gaps = np.abs(demo.astype(np.float64) - clone.astype(np.float64)) / _action_scale(
            action_space
        )
        distances = gaps.reshape(steps, -1).max(axis=1) if steps else np.zeros(0)
        agree = distances <= tolerance
    else:
        raise ValueError(f"cannot compare actions of space {action_space}: Discrete or Box only")
    disagreements = np.flatnonzero(~agree)
    return ActionComparison(
        demo_actions=demo,
        policy_actions=clone,
        distances=distances,
        agree=agree,
        first_divergence=int(disagreements[0]) if len(disagreements) else None,
    )


@torch.inference_mode()
def policy_actions(
    policy: Policy, observations: Any, *, deterministic: bool = True, seed: int = 0
) -> np.ndarray:
    """The policy's env action for each step of one episode's `observations`, in batches.

    The steps go through the policy's pipeline with the history it has at play time (the
    episode's first steps repeat its first observation).
    """
    observations = np.asarray(observations)
    return chunk_actions(policy, (observations[start : start + READ_ROWS]
                                  for start in range(0, len(observations), READ_ROWS)),
                         deterministic=deterministic, seed=seed)


@torch.inference_mode()
def chunk_actions(
    policy: Policy, chunks: Iterable[Any], *, deterministic: bool = True, seed: int = 0
) -> np.ndarray:
    """`policy_actions` of one episode whose observations come a chunk of rows at a time
    (`DemoDataset.transition_chunks`): its frames are never held whole, and a forward pass
    reads at most CHUNK_BYTES of float inputs."""
    generator = torch.Generator(device=policy.device).manual_seed(seed)
    size = max(1, min(CHUNK, CHUNK_BYTES // (4 * math.prod(policy.spec.input_shape))))
    actions: list[np.ndarray] = []
    waiting: list[torch.Tensor] = []
    for inputs in episode_inputs_in_chunks(policy.spec.pipeline, chunks):
        waiting.append(inputs)
        while sum(map(len, waiting)) >= size:  # forward passes of `size` rows, as before
            batch = torch.cat(waiting)
            actions.append(_act(policy, batch[:size], deterministic, generator))
            waiting = [batch[size:]] if len(batch) > size else []
    if waiting:
        actions.append(_act(policy, torch.cat(waiting), deterministic, generator))
    if not actions:
        return np.zeros((0, *row_shape(policy.spec.action_space)), policy.spec.action_space.dtype)
    return np.concatenate(actions).astype(policy.spec.action_space.dtype, copy=False)


def _act(policy: Policy, inputs: torch.Tensor, deterministic: bool,
         generator: torch.Generator) -> np.ndarray:
    return policy.act(inputs.to(policy.device), deterministic=deterministic,
                      generator=generator).cpu().numpy()


def compare_on_demo(
    policy: Policy,
    observations: Any,
    actions: Any,
    *,
    deterministic: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ActionComparison:
    """The policy's action in each demo state s_t (t < T) against the demo action a_t.

    `observations` may hold the T+1 rows of an episode (the final one is dropped) or T rows.
    """
    actions = np.asarray(actions)
    states = np.asarray(observations)[: len(actions)]
    if len(states) != len(actions):
        raise ValueError(f"{len(actions)} actions need as many observations, got {len(states)}")
    clone = policy_actions(policy, states, deterministic=deterministic)
    return compare_actions(actions, clone, policy.spec.action_space, tolerance=tolerance)


def compare_on_recording(
    policy: Policy,
    dataset: DemoDataset,
    episode_id: int,
    *,
    deterministic: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ActionComparison:
    """`compare_on_demo` on a stored episode, its observations read READ_ROWS at a time
    (`DemoDataset.transition_chunks`): the Compare tab never holds a recorded episode whole."""
    actions = dataset.episode_actions(episode_id)
    chunks = (chunk.observations for chunk in dataset.transition_chunks(episode_id, READ_ROWS))
    clone = chunk_actions(policy, chunks, deterministic=deterministic)
    return compare_actions(actions, clone, policy.spec.action_space, tolerance=tolerance)
