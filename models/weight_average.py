"""An exponential moving average of a policy's weights, validated and kept in their place.

With Adam at a constant learning rate the weights of the last steps jitter around a good
point, and where a run stops decides which jitter the clone plays with: Pong's clones of
one recipe played from -7.9 to +1.4 over training seeds (docs/benchmarks.md, section 11).
The average of the recent steps' weights (Polyak averaging) sits nearer that point. Its
decay ramps up as (1 + step) / (10 + step) to `TrainConfig.weight_average`, as timm's and
diffusers' EMAs do, so that a short run's average is not held back by its first weights.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


class WeightAverage:
    """The running average of `module`'s parameters with decay `decay` (0: no average)."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.steps = 0
        self.average = ([p.detach().clone() for p in module.parameters()] if decay else [])

    @property
    def active(self) -> bool:
        """Whether there is an average to use (a decay above 0 and at least one step)."""
        return bool(self.average) and self.steps > 0

    def decay_at(self, step: int) -> float:
        """The decay of the update after `step` steps: ramped up to `decay`."""
        return min(self.decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        """Fold `module`'s parameters, after one more training step, into the average."""
        if not self.average:
            return
        weight = 1.0 - self.decay_at(self.steps)
        for average, current in zip(self.average, module.parameters(), strict=True):
            average.lerp_(current.detach(), weight)
        self.steps += 1

    @contextlib.contextmanager
    def applied(self, module: nn.Module) -> Iterator[None]:
        """`module` holds the averaged parameters inside the block, its own after it."""
        if not self.active:
            yield
            return
        own = [p.detach().clone() for p in module.parameters()]
        self._load(module, self.average)
        try:
            yield
        finally:
            self._load(module, own)

    def apply(self, module: nn.Module) -> None:
        """`module` takes the averaged parameters for good (no-op without an average)."""
        if self.active:
            self._load(module, self.average)

    @staticmethod
    @torch.no_grad()
    def _load(module: nn.Module, values: list[torch.Tensor]) -> None:
        for parameter, value in zip(module.parameters(), values, strict=True):
            parameter.copy_(value)
