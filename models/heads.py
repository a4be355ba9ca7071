"""Policy heads: a categorical head for `Discrete` actions, a Gaussian head for `Box` actions,
and `HeadSpec`, which picks the head for Box actions (models/multimodal_heads.py has the others).

Heads work in training units: action indices from 0, or Box actions scaled to [-1, 1].
The `Policy` turns those into env actions and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from clonelab.models.action_density import MixtureDensity
from clonelab.models.losses import categorical_nll, gaussian_nll

HeadKind = Literal["gaussian", "mixture", "discretised"]
HEAD_KINDS: tuple[HeadKind, ...] = ("gaussian", "mixture", "discretised")
DEFAULT_COMPONENTS = 5
DEFAULT_BINS = 21


@dataclass(frozen=True, kw_only=True)
class HeadSpec:
    """Which head a Box-action policy has (Discrete actions always get the categorical)."""

    kind: HeadKind = "gaussian"
    """"gaussian" (the lecture's), "mixture" (of Gaussians) or "discretised" (bins)."""
    components: int = DEFAULT_COMPONENTS
    """Gaussians in a mixture head."""
    bins: int = DEFAULT_BINS
    """Bins per action dimension of a discretised head."""

    def __post_init__(self) -> None:
        if self.kind not in HEAD_KINDS:
            raise ValueError(f"head must be one of {', '.join(HEAD_KINDS)}, got {self.kind!r}")
        for name, least in (("components", 1), ("bins", 2)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be a whole number of at least {least}, "
                                 f"got {value!r}")

    def architecture(self) -> dict[str, Any]:
        """The checkpoint's description: the head's name and the parameter it has."""
        if self.kind == "mixture":
            return {"head": "mixture", "head_components": self.components}
        if self.kind == "discretised":
            return {"head": "discretised", "head_bins": self.bins}
        return {"head": "gaussian"}

    @classmethod
    def from_architecture(cls, architecture: dict[str, Any]) -> HeadSpec:
        """The head a checkpoint's architecture names; "categorical", "gaussian" and
        checkpoints from before the other heads existed give the default."""
        kind = architecture.get("head", "gaussian")
        if kind == "mixture":
            return cls(kind="mixture", components=int(architecture["head_components"]))
        if kind == "discretised":
            return cls(kind="discretised", bins=int(architecture["head_bins"]))
        if kind in ("gaussian", "categorical"):
            return cls()
        raise ValueError(f"unknown policy head {kind!r}")


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
    """A diagonal Gaussian: a state-dependent mean and one learned log sigma per dimension.

    Why not a state-dependent sigma: with it, the NLL can buy a lower loss by widening sigma
    in the states it fits worst, which are the ones that matter (an expert's switching points),
    and stops fitting mu there. Measured on Pendulum (20 expert episodes, 2000 steps, 3 seeds):
    returns of -275/-311/-154 with a state-dependent sigma, -158/-159/-159 with this one. The
    clamp keeps sigma in [e^-5, e^2], so the gradient, which scales with 1/sigma^2, stays bounded.
    """

    LOG_SIGMA_MIN = -5.0
    LOG_SIGMA_MAX = 2.0

    def __init__(self, in_features: int, dim: int) -> None:
        super().__init__()
        self.mu = nn.Linear(in_features, dim)
        self.log_sigma = nn.Parameter(torch.zeros(dim))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The (B, dim) mean and clamped log sigma."""
        mu = self.mu(features)
        log_sigma = self.log_sigma.clamp(self.LOG_SIGMA_MIN, self.LOG_SIGMA_MAX)
        return mu, log_sigma.expand_as(mu)

    def nll(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood (without the constant) of the scaled expert actions."""
        mu, log_sigma = self(features)
        return gaussian_nll(mu, log_sigma, targets)

    def mode(self, features: torch.Tensor) -> torch.Tensor:
        """The mean of each row."""
        return self.mu(features)

    def density(self, features: torch.Tensor) -> MixtureDensity:
        """The distribution of each row, as a mixture of one component."""
        mu, log_sigma = self(features)
        weights = torch.ones(len(mu), 1, device=mu.device, dtype=mu.dtype)
        return MixtureDensity(weights, mu.unsqueeze(1), torch.exp(log_sigma).unsqueeze(1))

    def sample(
        self, features: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """A reparameterised draw mu + sigma * eps (differentiable in mu and sigma)."""
        mu, log_sigma = self(features)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(log_sigma) * eps
