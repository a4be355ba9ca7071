"""Box-action heads that can hold several good actions in one state: a mixture of Gaussians
and a discretised head (a categorical over bins per dimension).

A Gaussian fitted to demos that go left half the time and right the other half puts its mean
between them, on an action no demo took. These heads keep both: a mixture with a component
per way, bins with a peak per way. Like `GaussianHead` they work in training units (Box
actions scaled to [-1, 1]) and answer `nll`, `mode`, `sample` and `density`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from clonelab.models.action_density import BinDensity, MixtureDensity
from clonelab.models.heads import GaussianHead
from clonelab.models.losses import binned_nll, mixture_nll


class MixtureHead(nn.Module):
    """K diagonal Gaussians with state-dependent weights and means, and one learned log sigma
    per component and dimension (state-independent, clamped: `GaussianHead`'s reasons)."""

    def __init__(self, in_features: int, dim: int, components: int) -> None:
        super().__init__()
        self.dim, self.components = dim, components
        self.logits = nn.Linear(in_features, components)
        self.mu = nn.Linear(in_features, components * dim)
        # Components that start alike get alike gradients and stay alike (all at the data's
        # mean): start them spread over [-1, 1], each as wide as its share of the range.
        centres = (2.0 * torch.arange(components) + 1.0) / components - 1.0
        with torch.no_grad():
            self.mu.bias.copy_(centres.repeat_interleave(dim))
        self.log_sigma = nn.Parameter(torch.full((components, dim), -math.log(components)))

    def forward(
        self, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, K) logits, (B, K, D) means and (B, K, D) clamped log sigmas."""
        mu = self.mu(features).reshape(-1, self.components, self.dim)
        log_sigma = self.log_sigma.clamp(GaussianHead.LOG_SIGMA_MIN, GaussianHead.LOG_SIGMA_MAX)
        return self.logits(features), mu, log_sigma.expand_as(mu)

    def nll(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood (without the constant) of the scaled expert actions."""
        logits, mu, log_sigma = self(features)
        return mixture_nll(logits, mu, log_sigma, targets)

    def density(self, features: torch.Tensor) -> MixtureDensity:
        """The mixture of each row."""
        logits, mu, log_sigma = self(features)
        return MixtureDensity(torch.softmax(logits, dim=-1), mu, torch.exp(log_sigma))

    def mode(self, features: torch.Tensor) -> torch.Tensor:
        """The mean of each row's most likely component."""
        return self.density(features).mode()

    def sample(
        self, features: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """A component by its weight, then mu_k + sigma_k * eps (differentiable in both)."""
        return self.density(features).sample(1, generator)[0]


class DiscretisedHead(nn.Module):
    """N equal bins over [-1, 1] per action dimension, a categorical over them per dimension
    (the dimensions independent given the state)."""

    def __init__(self, in_features: int, dim: int, bins: int) -> None:
        super().__init__()
        self.dim, self.bins = dim, bins
        self.logits = nn.Linear(in_features, dim * bins)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """The (B, D, N) logits."""
        return self.logits(features).reshape(-1, self.dim, self.bins)

    def bin_of(self, targets: torch.Tensor) -> torch.Tensor:
        """(B, D) index of the bin holding each scaled action (outside [-1, 1]: the end bin)."""
        index = torch.floor((targets + 1.0) * (self.bins / 2.0))
        return index.clamp(0, self.bins - 1).long()

    def nll(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the bins holding the expert's actions, summed over dimensions."""
        return binned_nll(self(features), self.bin_of(targets))

    def density(self, features: torch.Tensor) -> BinDensity:
        """The bins' probabilities of each row."""
        logits = self(features)
        edges = torch.linspace(-1.0, 1.0, self.bins + 1, device=logits.device,
                               dtype=logits.dtype)
        return BinDensity(edges.expand(self.dim, -1), torch.softmax(logits, dim=-1))

    def mode(self, features: torch.Tensor) -> torch.Tensor:
        """The centre of each dimension's most likely bin."""
        return self.density(features).mode()

    def sample(
        self, features: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """A bin per dimension by its probability, then a uniform point within it."""
        return self.density(features).sample(generator)
