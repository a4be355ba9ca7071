"""Behavioral-cloning losses: the cross-entropy between the expert and the learned policy.

BC minimises E_s[ -log pi(a* | s) ] over the expert's state-action pairs. Each docstring gives
that negative log-likelihood as the docs write it; the Box losses compute it by hand, the
categorical one as one fused op that tests/models/test_losses.py proves equal to the formula.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def categorical_nll(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -sum_k onehot(a*)_k * log_softmax(logits)_k.

    `logits` is (B, K); `actions` holds the expert's action indices, (B,) integers in [0, K).
    The one-hot sum picks log_softmax(logits)[a*], which F.cross_entropy computes in one fused
    op: the one-hot product written out cost 4% of a CPU training step (docs/benchmarks.md).
    """
    return F.cross_entropy(logits, actions.long())


def gaussian_nll(mu: torch.Tensor, log_sigma: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of sum_d 0.5 * (log sigma_d^2 + (a*_d - mu_d)^2 / sigma_d^2).

    The constant 0.5 * log(2 pi) per dimension is left out: it moves no gradient. All tensors are
    (B, D); `log_sigma` is expected to be clamped already by the head.
    """
    # (a - mu) * exp(-log sigma) instead of dividing by sigma^2: no overflow for tiny sigma.
    z = (actions - mu) * torch.exp(-log_sigma)
    return (0.5 * (2.0 * log_sigma + z * z)).sum(dim=-1).mean()


def mixture_nll(
    logits: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor, actions: torch.Tensor
) -> torch.Tensor:
    """Mean over the batch of -log sum_k pi_k N(a*; mu_k, sigma_k^2), pi = softmax(logits).

    `logits` is (B, K); `mu` and `log_sigma` are (B, K, D) (clamped by the head); `actions` is
    (B, D). Each component's log density drops the same constant as `gaussian_nll`, so with
    K = 1 this is `gaussian_nll` exactly. logsumexp keeps components far from a* from
    underflowing to log 0.
    """
    z = (actions.unsqueeze(1) - mu) * torch.exp(-log_sigma)
    log_component = -(log_sigma + 0.5 * z * z).sum(dim=-1)
    return -torch.logsumexp(torch.log_softmax(logits, dim=-1) + log_component, dim=-1).mean()


def binned_nll(logits: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of sum_d -log softmax(logits_d)[b*_d]: the cross-entropy of the bin
    holding the expert's action, summed over the action dimensions.

    `logits` is (B, D, N) over N bins per dimension; `bins` holds the expert's bin indices,
    (B, D) integers in [0, N).
    """
    one_hot = F.one_hot(bins.long(), num_classes=logits.shape[-1]).to(logits.dtype)
    return -(one_hot * torch.log_softmax(logits, dim=-1)).sum(dim=(-2, -1)).mean()
