"""Scripted experts: seeded returns meet their targets, and noise makes them worse on purpose."""

import gymnasium
import numpy as np
import pytest

from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import EXPERT_ENV_IDS, ExpertError, has_expert, make_expert
from clonelab.recorder.sources import ActionSource


def play(env_id, seeds, *, noise=0.0, env=None):
    """(returns, terminated flags, last rewards) of one expert episode per seed."""
    env = env or make_env(env_id)
    expert = make_expert(env, noise=noise, seed=0)
    returns, terminated, last_rewards = [], [], []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        expert.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            action = expert.act(observation)
            assert env.action_space.contains(action)
            observation, reward, term, trunc, _ = env.step(action)
            total += reward
            done = term or trunc
        returns.append(total)
        terminated.append(term)
        last_rewards.append(reward)
    env.close()
    return np.array(returns), terminated, last_rewards


def test_cartpole_expert_balances_to_the_limit():
    returns, _, _ = play("CartPole-v1", range(3))
    assert returns.min() >= 475


def test_full_noise_makes_the_cartpole_expert_clearly_worse():
    returns, _, _ = play("CartPole-v1", range(3), noise=1.0)
    assert returns.mean() < 100


def test_pendulum_expert_swings_up_and_balances():
    returns, _, _ = play("Pendulum-v1", range(5))
    assert returns.mean() >= -200


@pytest.mark.parametrize("env_id", ["LunarLander-v3", "LunarLanderContinuous-v3"])
def test_lunar_lander_expert_lands(env_id):
    returns, _, _ = play(env_id, range(3))
    assert returns.mean() >= 200


@pytest.mark.parametrize("env_id", ["MountainCar-v0", "MountainCarContinuous-v0"])
def test_mountain_car_expert_reaches_the_flag(env_id):
    _, terminated, _ = play(env_id, range(3))
    assert all(terminated)


def test_acrobot_expert_swings_above_the_line_quickly():
    returns, terminated, _ = play("Acrobot-v1", range(5))
    assert all(terminated)
    assert returns.mean() > -120


@pytest.mark.parametrize(
    "env_id", ["MiniGrid-Empty-5x5-v0", "MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-5x5-v0"]
)
def test_minigrid_expert_always_reaches_the_goal(env_id):
    _, terminated, last_rewards = play(env_id, range(3))
    assert all(terminated)
    assert min(last_rewards) > 0  # MiniGrid pays only on reaching the goal


def test_minigrid_expert_recovers_from_random_detours():
    _, terminated, _ = play("MiniGrid-DoorKey-5x5-v0", range(3), noise=0.3)
    assert all(terminated)


def test_experts_work_through_extra_wrappers():
    env = gymnasium.wrappers.RecordEpisodeStatistics(make_env("CartPole-v1"))
    returns, _, _ = play("CartPole-v1", [0], env=env)
    assert returns[0] >= 475


def test_same_seed_gives_the_same_noisy_actions():
    def actions(seed):
        env = make_env("Pendulum-v1")
        expert = make_expert(env, noise=0.5, seed=seed)
        observation, _ = env.reset(seed=0)
        expert.reset(seed=seed)
        taken = []
        for _ in range(30):
            taken.append(expert.act(observation))
            observation, *_ = env.step(taken[-1])
        return np.array(taken)

    np.testing.assert_array_equal(actions(7), actions(7))
    assert not np.array_equal(actions(7), actions(8))


def test_every_listed_expert_is_an_action_source_for_its_env():
    for env_id in EXPERT_ENV_IDS:
        assert has_expert(env_id)
        env = make_env(env_id)
        assert isinstance(make_expert(env), ActionSource)
        env.close()


def test_envs_without_an_expert_are_a_clear_error():
    assert not has_expert("CarRacing-v3")
    env = make_env("BipedalWalker-v3")
    with pytest.raises(ExpertError, match="no scripted expert for BipedalWalker-v3; experts exist"):
        make_expert(env)


def test_noise_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match=r"noise must be in \[0, 1\]"):
        make_expert(make_env("CartPole-v1"), noise=1.5)
