"""evaluate: seeded episodes in parallel envs give exactly what one-at-a-time play gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from clonelab.models.agent import PolicyAgent
from clonelab.models.evaluation import MAX_PARALLEL_ENVS, evaluate
from clonelab.models.policy import Policy
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset


@pytest.fixture(scope="module")
def half_trained(cartpole_demos: FakeDataset) -> Policy:
    """A CartPole clone after a few steps: its episodes end at different times."""
    config = TrainConfig(steps=15, hidden=(32, 32), batch_size=64, lr=3e-3, device="cpu")
    return drain(train_bc(config, cartpole_demos)).policy


def play_one_by_one(policy: Policy, env_id: str, seeds: range) -> tuple[list[float], list[int]]:
    env = make_env(env_id)
    agent = PolicyAgent(policy, deterministic=True)
    returns, lengths = [], []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        total, steps, done = 0.0, 0, False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(agent.act(observation))
            total, steps, done = total + float(reward), steps + 1, terminated or truncated
        returns.append(total)
        lengths.append(steps)
    env.close()
    return returns, lengths


def test_parallel_evaluation_matches_sequential_play(half_trained: Policy) -> None:
    episodes = MAX_PARALLEL_ENVS + 2  # two batches of envs
    result = evaluate(half_trained, "CartPole-v1", episodes=episodes, seed=100)
    returns, lengths = play_one_by_one(half_trained, "CartPole-v1", range(100, 100 + episodes))
    assert len(set(lengths)) > 1  # episodes really do end at different steps
    assert list(result.returns) == returns and list(result.lengths) == lengths
    assert result.return_mean == pytest.approx(np.mean(returns))
    assert result.return_std == pytest.approx(np.std(returns))
    assert result.length_mean == pytest.approx(np.mean(lengths))
    assert result.episodes == episodes and result.env_id == "CartPole-v1"


def test_max_steps_cuts_episodes_short(half_trained: Policy) -> None:
    result = evaluate(half_trained, "CartPole-v1", episodes=4, seed=0, max_steps=5)
    assert result.lengths == (5, 5, 5, 5) and result.returns == (5.0, 5.0, 5.0, 5.0)


def test_stochastic_evaluation_is_seeded(half_trained: Policy) -> None:
    runs = [evaluate(half_trained, "CartPole-v1", episodes=3, seed=s, deterministic=False)
            for s in (7, 7, 8)]
    assert runs[0].returns == runs[1].returns
    assert not runs[0].deterministic


def test_gaussian_policy_acts_within_the_bounds(pendulum_demos: FakeDataset) -> None:
    config = TrainConfig(steps=5, hidden=(16,), device="cpu")
    policy = drain(train_bc(config, pendulum_demos)).policy
    with torch.no_grad():
        policy.head.mu.weight.zero_()
        policy.head.mu.bias.fill_(5.0)  # mu far beyond the torque bound of 2
    result = evaluate(policy, "Pendulum-v1", episodes=2, seed=0, max_steps=30)
    assert result.lengths == (30, 30)
    # Constant full torque: the same as stepping the env with the clipped action by hand.
    env = make_env("Pendulum-v1")
    env.reset(seed=0)
    expected = sum(float(env.step(np.array([2.0], np.float32))[1]) for _ in range(30))
    assert result.returns[0] == pytest.approx(expected, rel=1e-5)


def test_a_policy_for_other_spaces_is_refused(half_trained: Policy) -> None:
    with pytest.raises(ValueError, match="trained on CartPole-v1 does not fit Pendulum-v1"):
        evaluate(half_trained, "Pendulum-v1", episodes=1, seed=0)


def test_episodes_must_be_positive(half_trained: Policy) -> None:
    with pytest.raises(ValueError, match="episodes must be a positive"):
        evaluate(half_trained, "CartPole-v1", episodes=0, seed=0)
