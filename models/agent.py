"""A policy as an `ActionSource`: the same reset/act surface as keyboards and experts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from clonelab.models.policy import Policy


@dataclass(frozen=True)
class ActionDistribution:
    """What the policy would do in one state, in env units, for the app's live display."""

    probabilities: np.ndarray | None
    """(n,) action probabilities of a Discrete policy; None for Box."""
    mean: np.ndarray | None
    """mu of a Box policy in env units (not clipped); None for Discrete."""
    std: np.ndarray | None
    """sigma of a Box policy in env units; None for Discrete."""


class PolicyAgent:
    """Acts with a policy one observation at a time (argmax / mu, or seeded samples)."""

    def __init__(self, policy: Policy, *, deterministic: bool = True, seed: int | None = None):
        self.policy = policy.eval()
        self.deterministic = deterministic
        self._generator = torch.Generator(device=policy.device)
        if seed is None:
            self._generator.seed()  # unseeded agents differ from run to run
        else:
            self._generator.manual_seed(seed)

    def reset(self, seed: int | None = None) -> None:
        """Start an episode; a seed makes the sampled actions that follow repeatable."""
        if seed is not None:
            self._generator.manual_seed(seed)

    def _batch(self, observation: Any) -> torch.Tensor:
        return self.policy.as_tensor(observation).unsqueeze(0)

    @torch.inference_mode()
    def act(self, observation: Any) -> int | np.ndarray:
        """The env action for one observation: an int (Discrete) or an array (Box)."""
        action = self.policy.act(self._batch(observation), deterministic=self.deterministic,
                                 generator=self._generator)[0]
        if self.policy.spec.action_kind == "discrete":
            return int(action)
        return action.cpu().numpy().astype(self.policy.spec.action_space.dtype)

    @torch.inference_mode()
    def action_distribution(self, observation: Any) -> ActionDistribution:
        """Action probabilities (Discrete) or mu and sigma in env units (Box) for one state."""
        batch = self._batch(observation)
        if self.policy.spec.action_kind == "discrete":
            probabilities = self.policy.action_probabilities(batch)[0].cpu().numpy()
            return ActionDistribution(probabilities, None, None)
        mu, sigma = self.policy.action_gaussian(batch)
        return ActionDistribution(None, mu[0].cpu().numpy(), sigma[0].cpu().numpy())
