"""PolicyAgent: a policy behind the ActionSource protocol, with its action distribution."""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.models.agent import PolicyAgent
from clonelab.models.policy import Policy
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from clonelab.recorder.sources import ActionSource
from tests.models.fakes import FakeDataset

CONFIG = TrainConfig(steps=30, hidden=(32,), batch_size=64, device="cpu")


@pytest.fixture(scope="module")
def cartpole_policy(cartpole_demos: FakeDataset) -> Policy:
    return drain(train_bc(CONFIG, cartpole_demos)).policy


@pytest.fixture(scope="module")
def pendulum_policy(pendulum_demos: FakeDataset) -> Policy:
    return drain(train_bc(CONFIG, pendulum_demos)).policy


def test_discrete_agent_returns_ints_matching_the_distribution(
    cartpole_policy: Policy, cartpole_demos: FakeDataset
) -> None:
    agent = PolicyAgent(cartpole_policy)
    assert isinstance(agent, ActionSource)
    for observation in cartpole_demos.transitions([0]).observations[:20]:
        action = agent.act(observation)
        distribution = agent.action_distribution(observation)
        assert type(action) is int and action in (0, 1)
        assert distribution.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
        assert action == int(np.argmax(distribution.probabilities))
        assert distribution.mean is None and distribution.std is None


def test_continuous_agent_returns_bounded_arrays_and_mu_sigma(
    pendulum_policy: Policy, pendulum_demos: FakeDataset
) -> None:
    agent = PolicyAgent(pendulum_policy)
    observation = pendulum_demos.transitions([0]).observations[3]
    action = agent.act(observation)
    assert isinstance(action, np.ndarray) and action.shape == (1,) and action.dtype == np.float32
    distribution = agent.action_distribution(observation)
    assert distribution.probabilities is None
    assert action == pytest.approx(np.clip(distribution.mean, -2.0, 2.0))
    assert distribution.std.shape == (1,) and distribution.std[0] > 0


def test_sampling_agents_are_seeded(
    pendulum_policy: Policy, pendulum_demos: FakeDataset
) -> None:
    observations = pendulum_demos.transitions([1]).observations[:10]
    first = PolicyAgent(pendulum_policy, deterministic=False, seed=3)
    second = PolicyAgent(pendulum_policy, deterministic=False, seed=3)
    a = [first.act(o)[0] for o in observations]
    assert a == [second.act(o)[0] for o in observations]
    first.reset(seed=3)
    assert a == [first.act(o)[0] for o in observations]
    assert len(set(a)) > 1  # samples, not the mean
    deterministic = PolicyAgent(pendulum_policy)
    assert {deterministic.act(observations[0])[0] for _ in range(3)} == {
        deterministic.act(observations[0])[0]
    }
