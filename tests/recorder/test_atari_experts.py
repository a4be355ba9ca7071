"""The RAM experts for Pong and Breakout beat a random policy by a wide margin (seeded, on the
catalog's envs: frame skip 4 and sticky actions). Episodes are cut to a step limit: a whole
Pong game lasts thousands of steps."""

import functools

import numpy as np
import pytest

from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import has_expert, make_expert


@functools.cache  # the expert's runs serve two tests each
def returns(env_id, kind, *, steps, seeds=(0, 1)):
    """The return of each seeded episode, cut after `steps` steps, for the noise-free expert
    ("expert"), the expert at noise 1 ("noise 1") or the env's own random sampling ("random")."""
    env = make_env(env_id)
    totals = []
    for seed in seeds:
        observation, _ = env.reset(seed=seed)
        expert = make_expert(env, noise=1.0 if kind == "noise 1" else 0.0, seed=seed)
        expert.reset(seed=seed)
        env.action_space.seed(seed)
        total = 0.0
        for _ in range(steps):
            action = env.action_space.sample() if kind == "random" else expert.act(observation)
            assert env.action_space.contains(action)
            observation, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            if terminated or truncated:
                break
        totals.append(total)
    env.close()
    return np.array(totals)


@pytest.mark.parametrize("env_id", ["ALE/Pong-v5", "ALE/Breakout-v5"])
def test_atari_games_have_experts(env_id):
    assert has_expert(env_id)


def test_pong_expert_wins_more_points_than_it_loses_where_random_loses_them_all():
    expert = returns("ALE/Pong-v5", "expert", steps=1000)
    random = returns("ALE/Pong-v5", "random", steps=1000)
    assert expert.min() >= 0  # measured: 1 and 2 (points won minus points lost)
    assert random.max() <= -15  # measured: -20 and -19
    assert expert.mean() - random.mean() >= 15


def test_breakout_expert_scores_many_times_what_random_does():
    expert = returns("ALE/Breakout-v5", "expert", steps=600)
    random = returns("ALE/Breakout-v5", "random", steps=600)
    assert expert.min() >= 15  # measured: 26 and 21
    assert expert.mean() >= max(5 * random.mean(), random.mean() + 15)  # random: 3 and 3


@pytest.mark.parametrize("env_id", ["ALE/Pong-v5", "ALE/Breakout-v5"])
def test_full_noise_makes_the_atari_experts_play_like_random(env_id):
    steps = 1000 if env_id == "ALE/Pong-v5" else 600
    noisy = returns(env_id, "noise 1", steps=steps)
    expert = returns(env_id, "expert", steps=steps)
    assert noisy.mean() <= expert.mean() - 10


@pytest.mark.parametrize("env_id", ["ALE/Pong-v5", "ALE/Breakout-v5"])
def test_a_labeller_agrees_with_the_expert_that_played_the_states(env_id):
    """DAgger and clean labels under noise ask the expert about states another actor played:
    its label there must be the choice it makes when it plays them itself, so the choice may
    rest on what the last frames show, never on the expert's own past actions."""
    env = make_env(env_id)
    observation, _ = env.reset(seed=0)
    player = make_expert(env, noise=0.5, seed=0)
    labeller = make_expert(env, seed=1)
    player.reset(seed=0)
    labeller.reset(seed=1)
    played, labels = [], []
    for _ in range(400):
        action = player.act(observation)
        labeller.act(observation)
        played.append(player.choice)
        labels.append(labeller.choice)
        observation, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    env.close()
    assert len(set(played)) >= 3  # the rule steered both ways and waited
    assert labels == played
