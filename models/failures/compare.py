"""Where does the clone part from the demo? Its action in each demo state against the demo's.

The comparison runs on the demo's own states (observations s_0 .. s_{T-1}), so it measures the
policy's agreement with the demonstrator step by step, free of compounding error; the first
step where the two disagree is where to look first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from clonelab.models.observations import episode_inputs
from clonelab.models.policy import Policy
from clonelab.recorder.schema import row_shape

# Rows per forward pass: bounded memory for long image episodes.
CHUNK = 1024
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
    inputs = episode_inputs(policy.spec.pipeline, np.asarray(observations))
    generator = torch.Generator(device=policy.device).manual_seed(seed)
    chunks = [
        policy.act(inputs[start : start + CHUNK].to(policy.device),
                   deterministic=deterministic, generator=generator).cpu().numpy()
        for start in range(0, len(inputs), CHUNK)
    ]
    if not chunks:
        return np.zeros((0, *row_shape(policy.spec.action_space)), policy.spec.action_space.dtype)
    return np.concatenate(chunks).astype(policy.spec.action_space.dtype, copy=False)


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
