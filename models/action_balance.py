"""Drawing training rows against the actions' imbalance (discrete actions).

A player mostly waits: 56% of the rows of 20 Pong demos are NOOP. A clone trained on the rows
as recorded leans toward the common action, and its slips are mostly waiting where the expert
moved (docs/benchmarks.md section 11). `action_balance_weights` gives each row a sampling
weight of (its action's share) ** -power: 0 leaves the rows as recorded, 1 draws every action
equally often, 0.5 (the square root) lies between. The loss is the lecture's; only which rows
an epoch draws changes (`episode_weights.epoch_order`).
"""

from __future__ import annotations

import numpy as np
import torch


def action_balance_weights(actions: np.ndarray, power: float) -> torch.Tensor | None:
    """(N,) float64 sampling weights of rows with these discrete `actions`, mean 1, or None
    when `power` is 0 or every row takes the same action (the weights would all be equal)."""
    if power == 0:  # before reading the actions: continuous ones (N, D) are never balanced
        return None
    values, inverse, counts = np.unique(np.asarray(actions), return_inverse=True,
                                        return_counts=True)
    if len(values) < 2:
        return None
    per_action = (counts / len(actions)) ** -float(power)
    weights = per_action[inverse]
    return torch.as_tensor(weights / weights.mean(), dtype=torch.float64)
