"""Policy heads for Box actions: the losses by hand, mode(), sampling statistics, densities,
and the heads a space refuses."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.action_density import BinDensity, MixtureDensity
from clonelab.models.heads import GaussianHead, HeadSpec
from clonelab.models.losses import binned_nll, gaussian_nll, mixture_nll
from clonelab.models.multimodal_heads import DiscretisedHead, MixtureHead
from clonelab.models.policy import Policy, PolicySpec, UnsupportedSpaceError
from clonelab.models.training import TrainConfig

VECTOR = gym.spaces.Box(-np.inf, np.inf, (3,), np.float32)
TORQUE = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)


def policy(head: HeadSpec, action_space: gym.Space = TORQUE) -> Policy:
    torch.manual_seed(0)
    return Policy(PolicySpec(env_id="Test-v0", observation_space=VECTOR,
                             action_space=action_space, hidden=(8,), head=head))


# -- losses -------------------------------------------------------------------------------------


def test_mixture_nll_by_hand() -> None:
    # Two equal components at -1 and +1, sigma 1. At a* = 0 each has log N = -0.5 (constant
    # dropped), so -log(0.5 e^-0.5 + 0.5 e^-0.5) = 0.5. At a* = 1: -log(0.5 e^-2 + 0.5).
    logits = torch.zeros(2, 2)
    mu = torch.tensor([[[-1.0], [1.0]], [[-1.0], [1.0]]])
    log_sigma = torch.zeros(2, 2, 1)
    actions = torch.tensor([[0.0], [1.0]])
    at_one = -math.log(0.5 * math.exp(-2.0) + 0.5)
    expected = (0.5 + at_one) / 2
    assert mixture_nll(logits, mu, log_sigma, actions).item() == pytest.approx(expected, abs=1e-6)


def test_a_one_component_mixture_is_the_lectures_gaussian_loss() -> None:
    generator = torch.Generator().manual_seed(0)
    mu, log_sigma = torch.randn(5, 2, generator=generator), torch.randn(5, 2, generator=generator)
    actions = torch.randn(5, 2, generator=generator)
    mixture = mixture_nll(torch.zeros(5, 1), mu[:, None], log_sigma[:, None], actions)
    assert mixture.item() == pytest.approx(gaussian_nll(mu, log_sigma, actions).item(), abs=1e-5)


def test_binned_nll_by_hand() -> None:
    # Dimension 0: bins at probabilities 1/4, 3/4, the expert's in bin 1: -log 0.75.
    # Dimension 1: uniform over two bins: -log 0.5. Summed over dimensions.
    logits = torch.tensor([[[0.0, math.log(3.0)], [0.0, 0.0]]])
    bins = torch.tensor([[1, 0]])
    expected = -math.log(0.75) - math.log(0.5)
    assert binned_nll(logits, bins).item() == pytest.approx(expected, abs=1e-6)


def test_an_action_falls_in_the_bin_that_holds_it() -> None:
    head = DiscretisedHead(4, 1, bins=4)  # edges -1, -0.5, 0, 0.5, 1
    actions = torch.tensor([[-2.0], [-1.0], [-0.6], [-0.5], [0.0], [0.99], [1.0], [1.5]])
    assert head.bin_of(actions).reshape(-1).tolist() == [0, 0, 0, 1, 2, 3, 3, 3]


# -- mode ---------------------------------------------------------------------------------------


def test_the_mixtures_mode_is_the_mean_of_its_most_likely_component() -> None:
    head = MixtureHead(2, 1, components=3)
    with torch.no_grad():
        head.logits.weight.zero_()
        head.logits.bias.copy_(torch.tensor([0.0, 2.0, 1.0]))
        head.mu.weight.zero_()
        head.mu.bias.copy_(torch.tensor([-0.8, 0.6, 0.1]))
    features = torch.zeros(3, 2)
    assert torch.allclose(head.mode(features), torch.full((3, 1), 0.6))
    # The mixture's mean lies between the components; the mode never does.
    assert head.density(features).mean()[0, 0].item() < 0.5


def test_the_discretised_mode_is_the_centre_of_the_most_likely_bin() -> None:
    head = DiscretisedHead(2, 2, bins=5)  # centres -0.8, -0.4, 0, 0.4, 0.8
    with torch.no_grad():
        head.logits.weight.zero_()
        bias = torch.zeros(2, 5)
        bias[0, 4], bias[1, 1] = 3.0, 3.0
        head.logits.bias.copy_(bias.reshape(-1))
    assert torch.allclose(head.mode(torch.zeros(1, 2)), torch.tensor([[0.8, -0.4]]))


@pytest.mark.parametrize("kind", ["gaussian", "mixture", "discretised"])
def test_deterministic_play_takes_the_densitys_mode_in_env_units(kind: str) -> None:
    clone = policy(HeadSpec(kind=kind))
    observations = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    density = clone.action_density(observations)
    expected = density.mode().clamp(-2.0, 2.0)
    assert torch.allclose(clone.act(observations), expected, atol=1e-6)


# -- sampling -----------------------------------------------------------------------------------


def test_mixture_samples_land_on_both_modes_by_their_weights() -> None:
    density = MixtureDensity(torch.tensor([[0.3, 0.7]]), torch.tensor([[[-0.8], [0.8]]]),
                             torch.full((1, 2, 1), 0.05))
    draws = density.sample(4000, torch.Generator().manual_seed(0))[:, 0, 0]
    assert (draws - -0.8).abs().lt(0.2).float().mean().item() == pytest.approx(0.3, abs=0.03)
    assert (draws - 0.8).abs().lt(0.2).float().mean().item() == pytest.approx(0.7, abs=0.03)
    assert draws.abs().lt(0.5).float().mean().item() == 0.0  # nothing between the modes


def test_bin_samples_fall_in_their_bins_by_their_probabilities() -> None:
    edges = torch.linspace(-1.0, 1.0, 5).expand(1, -1)  # four bins
    density = BinDensity(edges, torch.tensor([[[0.5, 0.0, 0.0, 0.5]]]))
    generator = torch.Generator().manual_seed(0)
    draws = torch.stack([density.sample(generator) for _ in range(2000)])[:, 0, 0]
    assert draws.lt(-0.5).float().mean().item() == pytest.approx(0.5, abs=0.04)
    assert draws.gt(0.5).float().mean().item() == pytest.approx(0.5, abs=0.04)
    low = draws[draws < 0]
    assert low.min() >= -1.0 and low.max() <= -0.5 and low.std() > 0.1  # spread within


def test_a_head_samples_repeatably_from_a_seeded_generator() -> None:
    for kind in ("mixture", "discretised"):
        clone = policy(HeadSpec(kind=kind))
        observations = torch.zeros(4, 3)
        first = clone.act(observations, deterministic=False,
                          generator=torch.Generator().manual_seed(3))
        second = clone.act(observations, deterministic=False,
                           generator=torch.Generator().manual_seed(3))
        assert torch.equal(first, second)


# -- densities ----------------------------------------------------------------------------------


def test_density_moments_and_entropies() -> None:
    sigma = 0.3
    single = MixtureDensity(torch.ones(1, 1), torch.zeros(1, 1, 1), torch.full((1, 1, 1), sigma))
    closed_form = 0.5 * math.log(2 * math.pi * math.e * sigma**2)
    assert single.entropy().item() == pytest.approx(closed_form, abs=0.1)
    two = MixtureDensity(torch.tensor([[0.5, 0.5]]), torch.tensor([[[-0.8], [0.8]]]),
                         torch.full((1, 2, 1), 0.1))
    assert two.mean().item() == pytest.approx(0.0, abs=1e-6)
    assert two.std().item() == pytest.approx(math.sqrt(0.64 + 0.01), abs=1e-5)
    # Two narrow modes: about log 2 more than one of them, far below one wide Gaussian's.
    narrow = 0.5 * math.log(2 * math.pi * math.e * 0.01)
    assert two.entropy().item() == pytest.approx(narrow + math.log(2), abs=0.1)
    uniform = BinDensity(torch.linspace(-1.0, 1.0, 5).expand(2, -1), torch.full((1, 2, 4), 0.25))
    assert uniform.entropy().item() == pytest.approx(2 * math.log(2.0), abs=1e-5)
    assert uniform.mean().abs().max().item() < 1e-6
    assert uniform.std()[0, 0].item() == pytest.approx(math.sqrt(1 / 3), abs=1e-5)


def test_the_density_is_in_env_units() -> None:
    density = policy(HeadSpec(kind="discretised", bins=4)).action_density(torch.zeros(1, 3))
    assert isinstance(density, BinDensity)
    assert density.edges[0].tolist() == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0])
    gaussian = policy(HeadSpec())
    mu, sigma = gaussian.action_gaussian(torch.zeros(2, 3))
    as_mixture = gaussian.action_density(torch.zeros(2, 3))
    assert torch.allclose(as_mixture.mean(), mu) and torch.allclose(as_mixture.std(), sigma)


def test_the_mixtures_sigmas_are_clamped_like_the_gaussians() -> None:
    head = MixtureHead(3, 1, components=2)
    with torch.no_grad():
        head.log_sigma.copy_(torch.tensor([[10.0], [-10.0]]))
    _logits, _mu, log_sigma = head(torch.zeros(1, 3))
    assert log_sigma[0, :, 0].tolist() == [GaussianHead.LOG_SIGMA_MAX, GaussianHead.LOG_SIGMA_MIN]


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mixture", "discretised"])
def test_discrete_actions_refuse_another_head_in_one_line(kind: str) -> None:
    with pytest.raises(UnsupportedSpaceError, match="categorical head already") as error:
        policy(HeadSpec(kind=kind), gym.spaces.Discrete(2))
    assert "\n" not in str(error.value)


def test_unbounded_actions_refuse_the_discretised_head() -> None:
    with pytest.raises(UnsupportedSpaceError, match="finite action bounds"):
        policy(HeadSpec(kind="discretised"), gym.spaces.Box(-np.inf, np.inf, (2,), np.float32))
    policy(HeadSpec(kind="mixture"), gym.spaces.Box(-np.inf, np.inf, (2,), np.float32))


def test_train_config_checks_the_head_fields() -> None:
    assert TrainConfig(head="mixture", components=3).head_spec() == HeadSpec(kind="mixture",
                                                                             components=3)
    for bad in ({"head": "diffusion"}, {"components": 0}, {"bins": 1}):
        with pytest.raises(ValueError, match="TrainConfig"):
            TrainConfig(**bad)  # type: ignore[arg-type]
