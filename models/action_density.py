"""What a Box-action policy would do in a batch of states, as the distribution it is.

Heads describe their distribution with one of two records: `MixtureDensity` (a diagonal
Gaussian mixture: the Gaussian head is its K = 1 case) or `BinDensity` (a piecewise-uniform
density over bins per dimension: the discretised head). Heads build them in training units
(actions scaled to [-1, 1]); `Policy.action_density` moves them to env units with `affine`.
Readers (Watch's plot, the uncertainty timelines) need only these records, not the head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

# Monte Carlo draws per state for a mixture's entropy (no closed form): a fixed seed keeps
# the estimate repeatable, so a timeline does not flicker from one drawing to the next.
ENTROPY_SAMPLES = 256
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class MixtureDensity:
    """sum_k w_k N(mu_k, diag(sigma_k^2)) for each row of a batch."""

    weights: torch.Tensor
    """(B, K) component weights, summing to 1 per row."""
    means: torch.Tensor
    """(B, K, D) component means."""
    stds: torch.Tensor
    """(B, K, D) component standard deviations."""

    def affine(self, scale: torch.Tensor, shift: torch.Tensor) -> MixtureDensity:
        """The density of scale * a + shift, for a positive (D,) scale."""
        return MixtureDensity(self.weights, self.means * scale + shift, self.stds * scale)

    def to(self, device: torch.device | str) -> MixtureDensity:
        """The same density on `device`."""
        return MixtureDensity(self.weights.to(device), self.means.to(device),
                              self.stds.to(device))

    def mean(self) -> torch.Tensor:
        """(B, D) mean of the mixture."""
        return (self.weights.unsqueeze(-1) * self.means).sum(dim=1)

    def std(self) -> torch.Tensor:
        """(B, D) standard deviation of the mixture (within plus between the components)."""
        spread = self.means - self.mean().unsqueeze(1)
        variance = self.weights.unsqueeze(-1) * (self.stds.square() + spread.square())
        return variance.sum(dim=1).sqrt()

    def mode(self) -> torch.Tensor:
        """(B, D) mean of each row's most likely component (the action deterministic play
        takes: the peak it sits on, never a point between two modes)."""
        best = self.weights.argmax(dim=-1)
        return self.means[torch.arange(len(best), device=best.device), best]

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """(S, B) log density of (S, B, D) actions, constants included."""
        z = (actions.unsqueeze(2) - self.means) / self.stds
        log_component = -(torch.log(self.stds) + 0.5 * z * z + _HALF_LOG_2PI).sum(dim=-1)
        return torch.logsumexp(torch.log(self.weights) + log_component, dim=-1)

    def sample(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(count, B, D) draws: a component by its weight, then a Gaussian draw from it."""
        rows = len(self.weights)
        picks = torch.multinomial(self.weights, count, replacement=True, generator=generator)
        index = torch.arange(rows, device=picks.device).unsqueeze(-1)
        means, stds = self.means[index, picks], self.stds[index, picks]  # (B, count, D)
        eps = torch.randn(means.shape, generator=generator, device=means.device,
                          dtype=means.dtype)
        return (means + stds * eps).transpose(0, 1)

    def entropy(self, samples: int = ENTROPY_SAMPLES) -> torch.Tensor:
        """(B,) differential entropy in nats, -E[log p(a)], estimated from seeded draws."""
        generator = torch.Generator(device=self.weights.device).manual_seed(0)
        return -self.log_prob(self.sample(samples, generator)).mean(dim=0)

    def marginal_pdf(self, points: torch.Tensor) -> torch.Tensor:
        """(B, D, N) density of each dimension on its own at (D, N) points."""
        z = (points[None, None] - self.means[..., None]) / self.stds[..., None]  # (B, K, D, N)
        pdf = torch.exp(-0.5 * z * z - _HALF_LOG_2PI) / self.stds[..., None]
        return (self.weights[..., None, None] * pdf).sum(dim=1)


@dataclass(frozen=True)
class BinDensity:
    """Per dimension, a probability per bin, spread uniformly within the bin."""

    edges: torch.Tensor
    """(D, N + 1) increasing bin edges of each dimension."""
    probabilities: torch.Tensor
    """(B, D, N) bin probabilities, summing to 1 per row and dimension."""

    def affine(self, scale: torch.Tensor, shift: torch.Tensor) -> BinDensity:
        """The density of scale * a + shift, for a positive (D,) scale."""
        return BinDensity(self.edges * scale[:, None] + shift[:, None], self.probabilities)

    def to(self, device: torch.device | str) -> BinDensity:
        """The same density on `device`."""
        return BinDensity(self.edges.to(device), self.probabilities.to(device))

    @property
    def centres(self) -> torch.Tensor:
        """(D, N) bin centres."""
        return (self.edges[:, 1:] + self.edges[:, :-1]) / 2

    @property
    def widths(self) -> torch.Tensor:
        """(D, N) bin widths."""
        return self.edges[:, 1:] - self.edges[:, :-1]

    def mean(self) -> torch.Tensor:
        """(B, D) mean."""
        return (self.probabilities * self.centres).sum(dim=-1)

    def std(self) -> torch.Tensor:
        """(B, D) standard deviation (the spread of the bins plus that within a bin)."""
        spread = self.centres - self.mean().unsqueeze(-1)
        within = self.widths.square() / 12.0
        return (self.probabilities * (spread.square() + within)).sum(dim=-1).sqrt()

    def mode(self) -> torch.Tensor:
        """(B, D) centre of each dimension's most likely bin."""
        best = self.probabilities.argmax(dim=-1, keepdim=True)  # (B, D, 1)
        centres = self.centres.expand_as(self.probabilities)
        return centres.gather(-1, best).squeeze(-1)

    def heights(self) -> torch.Tensor:
        """(B, D, N) density within each bin (probability per action unit): a histogram."""
        return self.probabilities / self.widths

    def entropy(self) -> torch.Tensor:
        """(B,) differential entropy in nats of the piecewise-uniform density, summed over
        dimensions (the head treats them as independent)."""
        p = self.probabilities
        return -(p * torch.log(p.clamp_min(1e-12) / self.widths)).sum(dim=(-2, -1))

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, D) draws: a bin by its probability, then a uniform point within it."""
        rows, dims, count = self.probabilities.shape
        flat = self.probabilities.reshape(rows * dims, count)
        picks = torch.multinomial(flat, 1, generator=generator).reshape(rows, dims, 1)
        left = self.edges[:, :-1].expand(rows, dims, count).gather(-1, picks).squeeze(-1)
        width = self.widths.expand(rows, dims, count).gather(-1, picks).squeeze(-1)
        uniform = torch.rand(left.shape, generator=generator, device=left.device,
                             dtype=left.dtype)
        return left + width * uniform


ActionDensity = MixtureDensity | BinDensity
"""What `Policy.action_density` returns for a Box-action policy."""
