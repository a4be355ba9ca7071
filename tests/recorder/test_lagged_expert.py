"""The lagged expert: it answers the observation from `lag` steps ago, the first one at first."""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import LaggedExpert, make_expert


def _rollout(env_id: str, lag: int, seed: int = 3, steps: int = 40):
    """(observations, lagged actions, the plain expert's actions on each observation)."""
    env = make_env(env_id)
    lagged, plain = LaggedExpert(make_expert(env), lag), make_expert(env)
    observation, _ = env.reset(seed=seed)
    lagged.reset(seed)
    observations, actions, answers = [], [], []
    for _ in range(steps):
        observations.append(observation)
        answers.append(plain.act(observation))
        actions.append(lagged.act(observation))
        observation, _, terminated, truncated, _ = env.step(actions[-1])
        if terminated or truncated:
            break
    env.close()
    return observations, np.array(actions), np.array(answers)


def test_lag_zero_is_the_expert_itself() -> None:
    _, actions, answers = _rollout("LunarLander-v3", 0)
    np.testing.assert_array_equal(actions, answers)


@pytest.mark.parametrize("env_id", ["LunarLander-v3", "Pendulum-v1"])
def test_each_action_answers_the_observation_lag_steps_back(env_id: str) -> None:
    lag = 5
    _, actions, answers = _rollout(env_id, lag)
    np.testing.assert_array_equal(actions[lag:], answers[:-lag])
    # The first steps answer the first observation, as a person watching the start would.
    np.testing.assert_array_equal(actions[:lag], np.repeat(answers[:1], lag, axis=0))


def test_a_new_episode_forgets_the_last_one() -> None:
    env = make_env("LunarLander-v3")
    lagged, plain = LaggedExpert(make_expert(env), 3), make_expert(env)
    lagged.reset(0)
    for seed in (0, 1):
        observation, _ = env.reset(seed=seed)
        lagged.reset(seed)
        assert lagged.act(observation) == plain.act(observation)
        env.step(0)
    env.close()


def test_experts_that_read_the_game_state_refuse_a_lag() -> None:
    env = make_env("MiniGrid-Empty-5x5-v0")
    LaggedExpert(make_expert(env), 0)  # no lag: fine
    with pytest.raises(ValueError, match="cannot be lagged"):
        LaggedExpert(make_expert(env), 2)
    with pytest.raises(ValueError, match="0 or more"):
        LaggedExpert(make_expert(make_env("CartPole-v1")), -1)
    env.close()
