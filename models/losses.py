"""Behavioral-cloning losses: the cross-entropy between the expert and the learned policy.

BC minimises E_s[ -log pi(a* | s) ] over the expert's state-action pairs. Both functions write
that negative log-likelihood out by hand so the formula is the one in the docs, not a library's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def categorical_nll(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -sum_k onehot(a*)_k * log_softmax(logits)_k.

    `logits` is (B, K); `actions` holds the expert's action indices, (B,) integers in [0, K).
    """
    one_hot = F.one_hot(actions.long(), num_classes=logits.shape[-1]).to(logits.dtype)
    return -(one_hot * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


def gaussian_nll(mu: torch.Tensor, log_sigma: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of sum_d 0.5 * (log sigma_d^2 + (a*_d - mu_d)^2 / sigma_d^2).

    The constant 0.5 * log(2 pi) per dimension is left out: it moves no gradient. All tensors are
    (B, D); `log_sigma` is expected to be clamped already by the head.
    """
    # (a - mu) * exp(-log sigma) instead of dividing by sigma^2: no overflow for tiny sigma.
    z = (actions - mu) * torch.exp(-log_sigma)
    return (0.5 * (2.0 * log_sigma + z * z)).sum(dim=-1).mean()
