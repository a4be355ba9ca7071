"""Policies: shapes, normalisation and action scaling as buffers, sampling and modes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.heads import GaussianHead
from clonelab.models.policy import Policy, PolicySpec, UnsupportedSpaceError
from clonelab.models.torsos import ConvTorso

VECTOR_OBS = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
IMAGE_OBS = gym.spaces.Box(0, 255, (40, 40, 3), np.uint8)
TORQUE = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)


def make(obs: gym.Space, act: gym.Space, hidden: tuple[int, ...] = (32, 32)) -> Policy:
    torch.manual_seed(0)
    return Policy(PolicySpec(env_id="Test-v0", observation_space=obs, action_space=act,
                             hidden=hidden))


def test_discrete_policy_acts_in_the_action_space() -> None:
    policy = make(VECTOR_OBS, gym.spaces.Discrete(3, start=-1))
    obs = torch.randn(10, 4)
    actions = policy.act(obs, deterministic=True)
    assert actions.shape == (10,)
    assert set(actions.tolist()) <= {-1, 0, 1}
    # The head works on indices from 0; the policy shifts by the space's start both ways.
    assert policy.targets(torch.tensor([-1, 1])).tolist() == [0, 2]
    probs = policy.action_probabilities(obs)
    assert torch.allclose(probs.sum(-1), torch.ones(10))
    assert torch.equal(actions, probs.argmax(-1) - 1)


def test_box_actions_are_scaled_to_unit_range_and_clipped_back() -> None:
    policy = make(VECTOR_OBS, TORQUE)
    env_actions = torch.tensor([[-2.0], [0.0], [1.0], [2.0]])
    assert policy.targets(env_actions).flatten().tolist() == [-1.0, 0.0, 0.5, 1.0]
    head_outputs = torch.tensor([[-3.0], [0.25], [1.5]])
    assert policy.to_env_units(head_outputs).flatten().tolist() == [-2.0, 0.5, 2.0]


def test_unbounded_box_dimensions_are_left_unscaled() -> None:
    low, high = np.array([-1.0, -np.inf], np.float32), np.array([3.0, np.inf], np.float32)
    space = gym.spaces.Box(low, high, dtype=np.float32)
    policy = make(VECTOR_OBS, space)
    assert policy.targets(torch.tensor([[3.0, 7.0]])).tolist() == [[1.0, 7.0]]
    assert policy.to_env_units(torch.tensor([[0.0, -50.0]])).tolist() == [[1.0, -50.0]]


def test_multi_dimensional_box_actions_keep_their_shape() -> None:
    policy = make(VECTOR_OBS, gym.spaces.Box(-1.0, 1.0, (2, 3), np.float32))
    assert policy.act(torch.zeros(5, 4)).shape == (5, 2, 3)
    assert policy.targets(torch.zeros(5, 2, 3)).shape == (5, 6)


def test_observation_normalisation_lives_in_the_state_dict() -> None:
    policy = make(VECTOR_OBS, gym.spaces.Discrete(2))
    policy.set_observation_stats(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 0.0, 1.0, 1.0]))
    state = policy.state_dict()
    assert state["obs_mean"].tolist() == [1.0, 2.0, 3.0, 4.0]
    # A constant feature (std 0) is centred but not divided by zero.
    assert state["obs_std"].tolist() == [2.0, 1.0, 1.0, 1.0]
    reference = make(VECTOR_OBS, gym.spaces.Discrete(2))
    raw = torch.tensor([[3.0, 5.0, 3.0, 4.0]])
    assert torch.allclose(policy.features(raw), reference.features(torch.tensor([[1.0, 3, 0, 0]])))


def test_box_scaling_lives_in_the_state_dict() -> None:
    state = make(VECTOR_OBS, TORQUE).state_dict()
    assert state["action_center"].tolist() == [0.0]
    assert state["action_half_range"].tolist() == [2.0]


def test_image_policy_takes_uint8_hwc_frames() -> None:
    policy = make(IMAGE_OBS, gym.spaces.Discrete(3))
    assert isinstance(policy.torso, ConvTorso)
    frames = torch.randint(0, 256, (6, 40, 40, 3), dtype=torch.uint8)
    assert policy.act(frames).shape == (6,)
    assert "obs_mean" not in policy.state_dict()  # images are scaled by 1/255 only
    with pytest.raises(ValueError, match="1/255"):
        policy.set_observation_stats(np.zeros(1), np.ones(1))
    # Scaling by 1/255: an all-white frame reaches the convolutions as ones.
    seen = []
    policy.torso.convs[0].register_forward_hook(lambda _m, inputs, _o: seen.append(inputs[0]))
    policy.features(torch.full((1, 40, 40, 3), 255, dtype=torch.uint8))
    assert seen[0].shape == (1, 3, 40, 40) and torch.all(seen[0] == 1.0)


def test_cnn_handles_small_and_atari_sized_frames() -> None:
    for shape in ((7, 7, 3), (210, 160, 3)):
        policy = make(gym.spaces.Box(0, 255, shape, np.uint8), gym.spaces.Discrete(4))
        assert policy.act(torch.zeros(2, *shape, dtype=torch.uint8)).shape == (2,)


def test_gaussian_log_sigma_is_clamped() -> None:
    head = GaussianHead(3, 2)
    with torch.no_grad():
        head.log_sigma.copy_(torch.tensor([50.0, -50.0]))
    log_sigma = head(torch.zeros(4, 3))[1]
    assert log_sigma.shape == (4, 2)
    assert log_sigma[:, 0].eq(GaussianHead.LOG_SIGMA_MAX).all()
    assert log_sigma[:, 1].eq(GaussianHead.LOG_SIGMA_MIN).all()


def test_gaussian_samples_are_reparameterised_and_seeded() -> None:
    head = GaussianHead(3, 2)
    features = torch.randn(4000, 3)
    first = head.sample(features, torch.Generator().manual_seed(5))
    again = head.sample(features, torch.Generator().manual_seed(5))
    assert torch.equal(first, again)
    first.sum().backward()  # rsample: the draw is differentiable in mu and sigma
    assert head.mu.weight.grad is not None and head.mu.weight.grad.abs().sum() > 0
    assert head.log_sigma.grad is not None and head.log_sigma.grad.abs().sum() > 0
    mu, log_sigma = head(features)
    z = ((first - mu) / log_sigma.exp()).detach()
    assert abs(z.mean().item()) < 0.05 and abs(z.std().item() - 1.0) < 0.05


def test_categorical_samples_follow_the_probabilities() -> None:
    policy = make(VECTOR_OBS, gym.spaces.Discrete(3))
    obs = torch.zeros(20000, 4)
    samples = policy.act(obs, deterministic=False, generator=torch.Generator().manual_seed(0))
    frequencies = torch.bincount(samples, minlength=3).float() / len(samples)
    assert torch.allclose(frequencies, policy.action_probabilities(obs[:1])[0], atol=0.02)


def test_gaussian_policy_reports_mu_and_sigma_in_env_units() -> None:
    policy = make(VECTOR_OBS, TORQUE)
    obs = torch.randn(3, 4)
    mu, sigma = policy.action_gaussian(obs)
    head_mu, head_log_sigma = policy.head(policy.features(obs))
    assert torch.allclose(mu, head_mu * 2.0) and torch.allclose(sigma, head_log_sigma.exp() * 2)
    assert torch.allclose(policy.act(obs), mu.clamp(-2.0, 2.0))


@pytest.mark.parametrize(
    ("obs", "act", "message"),
    [
        (gym.spaces.Discrete(5), gym.spaces.Discrete(2), "observation space"),
        (VECTOR_OBS, gym.spaces.MultiDiscrete([2, 2]), "action space"),
        (VECTOR_OBS, gym.spaces.Box(0, 3, (2,), np.int64), "action space"),
    ],
)
def test_unsupported_spaces_are_refused(obs: gym.Space, act: gym.Space, message: str) -> None:
    with pytest.raises(UnsupportedSpaceError, match=message):
        PolicySpec(env_id="Test-v0", observation_space=obs, action_space=act)


def test_targets_of_an_empty_batch_of_box_actions_keep_the_action_size() -> None:
    import gymnasium as gym
    import torch

    from clonelab.models.policy import Policy, PolicySpec

    spec = PolicySpec(env_id="Pendulum-v1",
                      observation_space=gym.spaces.Box(-8, 8, (3,)),
                      action_space=gym.spaces.Box(-2, 2, (1,)), hidden=(8,))
    policy = Policy(spec)
    assert policy.targets(torch.zeros((0, 1))).shape == (0, 1)


@pytest.mark.parametrize(
    ("shape", "torso", "first_kernel"),
    [((84, 84, 4), "dqn", 8), ((40, 40, 3), "dqn", 8), ((210, 160, 3), "dqn", 8),
     ((35, 64, 3), "cnn", 3), ((7, 7, 3), "cnn", 3)],
)
def test_frames_get_the_dqn_torso_when_its_kernels_fit(shape: tuple[int, ...], torso: str,
                                                       first_kernel: int) -> None:
    policy = make(gym.spaces.Box(0, 255, shape, np.uint8), gym.spaces.Discrete(4))
    assert policy.spec.torso_name == torso
    assert policy.spec.architecture()["torso"] == torso
    assert policy.torso.convs[0].kernel_size == (first_kernel, first_kernel)
    # Channels-last weights: the uint8 (B, H, W, C) batch is already laid out that way.
    assert policy.torso.convs[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_a_torso_that_cannot_read_the_observation_is_refused() -> None:
    small = gym.spaces.Box(0, 255, (20, 20, 3), np.uint8)
    with pytest.raises(ValueError, match="'dqn' needs frames of at least 36x36.*20x20; use 'cnn'"):
        PolicySpec(env_id="T-v0", observation_space=small, action_space=gym.spaces.Discrete(2),
                   torso="dqn")
    with pytest.raises(ValueError, match="vector observations take 'mlp'"):
        PolicySpec(env_id="T-v0", observation_space=VECTOR_OBS,
                   action_space=gym.spaces.Discrete(2), torso="cnn")
