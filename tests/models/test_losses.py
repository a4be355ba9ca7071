"""The BC losses against hand-computed values and against torch's own likelihoods."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from clonelab.models.losses import categorical_nll, gaussian_nll


def test_categorical_nll_matches_hand_computed_values() -> None:
    logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    actions = torch.tensor([2, 0])
    # Row 1: -(3 - log(e + e^2 + e^3)); row 2: log 3 (uniform over three actions).
    row1 = -(3.0 - math.log(math.e + math.e**2 + math.e**3))
    row2 = math.log(3.0)
    assert categorical_nll(logits, actions).item() == pytest.approx((row1 + row2) / 2, rel=1e-6)


def test_categorical_nll_equals_torch_cross_entropy() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 5, generator=generator) * 3
    actions = torch.randint(0, 5, (64,), generator=generator)
    expected = F.cross_entropy(logits, actions)
    assert categorical_nll(logits, actions).item() == pytest.approx(expected.item(), rel=1e-6)


def test_fused_categorical_nll_is_the_one_hot_formula_in_value_and_gradient() -> None:
    """The docstring's -sum_k onehot(a*)_k * log_softmax(logits)_k, written out, against the
    fused op that computes it; a batch mixes confident and flat rows."""
    generator = torch.Generator().manual_seed(2)
    actions = torch.randint(0, 7, (256,), generator=generator)
    one_hot = F.one_hot(actions, num_classes=7)
    scaled = torch.randn(256, 7, generator=generator, dtype=torch.float64) * 10
    for dtype in (torch.float64, torch.float32):
        logits = scaled.to(dtype).requires_grad_()
        formula = -(one_hot.to(dtype) * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
        fused = categorical_nll(logits, actions)
        # float32 resolves about 1e-6 of the value (the loss here is about 14): relative there.
        scale = 1.0 if dtype == torch.float64 else formula.item()
        assert abs(fused.item() - formula.item()) <= 1e-6 * scale
        (formula_grad,) = torch.autograd.grad(formula, logits)
        (fused_grad,) = torch.autograd.grad(fused, logits)
        assert torch.allclose(fused_grad, formula_grad, rtol=1e-5, atol=1e-8)


def test_gaussian_nll_matches_hand_computed_values() -> None:
    mu = torch.tensor([[0.0, 0.0], [1.0, -1.0]])
    log_sigma = torch.tensor([[0.0, 0.0], [math.log(2.0), 0.0]])
    actions = torch.tensor([[1.0, 0.0], [3.0, -1.0]])
    # Row 1: 0.5 * (0 + 1^2) + 0 = 0.5.
    # Row 2: 0.5 * (log 4 + (2 / 2)^2) + 0.5 * (0 + 0) = log 2 + 0.5.
    expected = (0.5 + (math.log(2.0) + 0.5)) / 2
    assert gaussian_nll(mu, log_sigma, actions).item() == pytest.approx(expected, rel=1e-6)


def test_gaussian_nll_is_normal_log_prob_without_the_constant() -> None:
    generator = torch.Generator().manual_seed(1)
    mu = torch.randn(32, 3, generator=generator)
    log_sigma = torch.randn(32, 3, generator=generator).clamp(-2, 1)
    actions = torch.randn(32, 3, generator=generator)
    log_prob = torch.distributions.Normal(mu, log_sigma.exp()).log_prob(actions).sum(-1)
    constant = 0.5 * math.log(2 * math.pi) * 3
    expected = (-log_prob - constant).mean()
    assert gaussian_nll(mu, log_sigma, actions).item() == pytest.approx(expected.item(), rel=1e-5)


def test_gaussian_nll_gradient_pulls_mu_towards_the_action() -> None:
    mu = torch.zeros(1, 1, requires_grad=True)
    gaussian_nll(mu, torch.zeros(1, 1), torch.ones(1, 1)).backward()
    assert mu.grad is not None and mu.grad.item() == pytest.approx(-1.0)
