"""Comparing the demo's actions with the policy's actions on the demo's own states."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.agent import PolicyAgent
from clonelab.models.failures.compare import compare_actions, compare_on_demo, policy_actions
from clonelab.models.policy import Policy, PolicySpec

CARTPOLE_OBS = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)


@pytest.fixture
def policy() -> Policy:
    torch.manual_seed(0)
    spec = PolicySpec(env_id="CartPole-v1", observation_space=CARTPOLE_OBS,
                      action_space=gym.spaces.Discrete(2), hidden=(16,))
    return Policy(spec).eval()


@pytest.fixture
def states() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(31, 4)).astype(np.float32)


def test_batched_actions_equal_the_agent_acting_step_by_step(policy, states) -> None:
    agent = PolicyAgent(policy, deterministic=True)
    expected = [agent.act(obs) for obs in states]
    np.testing.assert_array_equal(policy_actions(policy, states), expected)


def test_demo_that_follows_the_policy_never_diverges(policy, states) -> None:
    demo = policy_actions(policy, states[:-1])
    result = compare_on_demo(policy, states, demo)  # T+1 observations, T actions
    assert result.first_divergence is None
    assert result.agreement == 1.0
    assert len(result.policy_actions) == 30


def test_first_divergence_is_the_first_step_the_demo_acts_otherwise(policy, states) -> None:
    demo = policy_actions(policy, states[:-1]).copy()
    demo[[12, 20]] = 1 - demo[[12, 20]]
    result = compare_on_demo(policy, states, demo)
    assert result.first_divergence == 12
    assert np.flatnonzero(~result.agree).tolist() == [12, 20]
    assert result.agreement == pytest.approx(28 / 30)


def test_continuous_actions_agree_within_a_share_of_the_range() -> None:
    space = gym.spaces.Box(np.array([-1, 0], np.float32), np.array([1, 1], np.float32))
    demo = np.array([[0.0, 0.5], [0.0, 0.5], [0.0, 0.5]], np.float32)
    # Step 1: 0.1 of range 2 is 5% (agrees); step 2: 0.2 of range 1 is 20% (disagrees).
    clone = np.array([[0.0, 0.5], [0.1, 0.5], [0.0, 0.7]], np.float32)
    result = compare_actions(demo, clone, space, tolerance=0.1)
    np.testing.assert_allclose(result.distances, [0.0, 0.05, 0.2], atol=1e-6)
    assert result.agree.tolist() == [True, True, False]
    assert result.first_divergence == 2


def test_mismatched_lengths_are_refused(policy, states) -> None:
    with pytest.raises(ValueError, match="one action per demo step"):
        compare_actions(np.zeros(3), np.zeros(4), gym.spaces.Discrete(2))
    with pytest.raises(ValueError, match="observations"):
        compare_on_demo(policy, states[:5], np.zeros(10, np.int64))
