"""A policy as an `ActionSource`: the same reset/act surface as keyboards and experts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from clonelab.models.action_density import ActionDensity
from clonelab.models.observations import ObservationHistory
from clonelab.models.policy import Policy
from clonelab.recorder.dict_observations import flatten_observation


@dataclass(frozen=True)
class ActionDistribution:
    """What the policy would do in one state, in env units, for the app's live display."""

    probabilities: np.ndarray | None
    """(n,) action probabilities of a Discrete policy; None for Box."""
    mean: np.ndarray | None
    """The mean action of a Box policy in env units (not clipped): mu for a Gaussian head, the
    mixture's or the bins' mean for the others; None for Discrete."""
    std: np.ndarray | None
    """The action's standard deviation of a Box policy in env units (sigma for a Gaussian
    head); None for Discrete."""
    density: ActionDensity | None = None
    """The whole distribution of a Box policy (a batch of one, env units, on the CPU): a
    mixture (Gaussian and mixture heads) or bins (discretised head); None for Discrete."""
    action: np.ndarray | None = None
    """The action deterministic play takes (the density's mode, clipped); None for
    Discrete."""


class PolicyAgent:
    """Acts with a policy one observation at a time (argmax / mu, or seeded samples).

    It keeps the policy's observation history (`spec.pipeline.history` preprocessed steps):
    `reset` forgets it, and the first observation after a reset fills it, as in training.
    `act` and `action_distribution` of one step share it: the step is added once.
    """

    def __init__(self, policy: Policy, *, deterministic: bool = True, seed: int | None = None):
        self.policy = policy.eval()
        self.deterministic = deterministic
        self._generator = torch.Generator(device=policy.device)
        if seed is None:
            self._generator.seed()  # unseeded agents differ from run to run
        else:
            self._generator.manual_seed(seed)
        self._history = ObservationHistory(policy.spec.pipeline, policy.spec.observation_space,
                                           policy.device)
        self._last: tuple[Any, np.ndarray, torch.Tensor] | None = None

    def reset(self, seed: int | None = None) -> None:
        """Start an episode (forget the history); a seed makes the sampled actions that follow
        repeatable."""
        self._history.clear()
        self._last = None
        if seed is not None:
            self._generator.manual_seed(seed)

    def _batch(self, observation: Any) -> torch.Tensor:
        """The policy's input for `observation`, pushed into the history once per step (the
        same object asked again, as by `action_distribution` then `act`, is not re-added,
        unless an env changed it in place since)."""
        values = flatten_observation(self.policy.spec.observation_space, observation)
        if (self._last is not None and self._last[0] is observation
                and np.array_equal(self._last[1], values)):
            return self._last[2]
        batch = self._history.push(values[None])
        self._last = (observation, values.copy(), batch)
        return batch

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
        """Action probabilities (Discrete), or the action's mean, spread and whole density in
        env units (Box) for one state."""
        batch = self._batch(observation)
        if self.policy.spec.action_kind == "discrete":
            probabilities = self.policy.action_probabilities(batch)[0].cpu().numpy()
            return ActionDistribution(probabilities, None, None)
        density = self.policy.action_density(batch)
        shape = self.policy.action_shape
        action = self.policy.act(batch, deterministic=True)[0]
        return ActionDistribution(None, density.mean()[0].reshape(shape).cpu().numpy(),
                                  density.std()[0].reshape(shape).cpu().numpy(),
                                  density.to("cpu"), action.cpu().numpy())
