"""Policy heads: a categorical head for `Discrete` actions, a Gaussian head for `Box` actions.

Both heads work in training units: action indices from 0, or Box actions scaled to [-1, 1].
The `Policy` turns those into env actions and back.
"""

from __future__ import annotations

import torch
from torch import nn

from models.losses import categorical_nll, gaussian_nll


class CategoricalHead(nn.Module):
    """Logits over `n` actions."""

    def __init__(self, in_features: int, n: int) -> None:
        super().__init__()
        self.logits = nn.Linear(in_features, n)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """The (B, n) logits."""
        return self.logits(features)

    def nll(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the expert's action indices."""
        return categorical_nll(self(features), targets)

    def mode(self, features: torch.Tensor) -> torch.Tensor:
        """The most likely action index of each row."""
        return self(features).argmax(dim=-1)

    def sample(
        self, features: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """One action index per row, drawn from the softmax."""
        probs = torch.softmax(self(features), dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


class GaussianHead(nn.Module):
    """A diagonal Gaussian whose mean and log standard deviation both depend on the state.

    State-dependent sigma (rather than one learned vector) lets the clone say where it is unsure:
    human demos are precise in some states and noisy in others, and the app shows sigma live.
    The clamp keeps sigma within [e^-5, e^2] so that a perfectly fitted state cannot drive the
    likelihood (and its gradient, which scales with 1/sigma^2) to infinity.
    """

    LOG_SIGMA_MIN = -5.0
    LOG_SIGMA_MAX = 2.0

    def __init__(self, in_features: int, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.params = nn.Linear(in_features, 2 * dim)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The (B, dim) mean and clamped log sigma."""
        mu, log_sigma = self.params(features).split(self.dim, dim=-1)
        return mu, log_sigma.clamp(self.LOG_SIGMA_MIN, self.LOG_SIGMA_MAX)

    def nll(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood (without the constant) of the scaled expert actions."""
        mu, log_sigma = self(features)
        return gaussian_nll(mu, log_sigma, targets)

    def mode(self, features: torch.Tensor) -> torch.Tensor:
        """The mean of each row."""
        return self(features)[0]

    def sample(
        self, features: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """A reparameterised draw mu + sigma * eps (differentiable in mu and sigma)."""
        mu, log_sigma = self(features)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(log_sigma) * eps
