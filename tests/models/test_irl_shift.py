"""Shifted envs for BC-vs-IRL: wider starts, pushes and slips, identical for every policy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from clonelab.models.evaluation import evaluate
from clonelab.models.irl.shift import Shift, ShiftWrapper, evaluate_under_shift
from clonelab.models.policy import Policy, PolicySpec
from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import make_expert


class Constant:
    """An action source that always pushes the same way."""

    def __init__(self, action: int) -> None:
        self.action = action

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation: object) -> int:
        return self.action


def test_no_shift_is_the_plain_env() -> None:
    torch.manual_seed(0)
    env = make_env("CartPole-v1")
    policy = Policy(PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                               action_space=env.action_space, hidden=(16, 16)))
    plain = evaluate(policy, "CartPole-v1", episodes=5, seed=7)
    shifted = evaluate_under_shift(policy, "CartPole-v1", Shift(), episodes=5, seed=7)
    assert shifted.returns == plain.returns


def test_wide_starts_spread_the_start_states() -> None:
    env = ShiftWrapper(make_env("CartPole-v1"), Shift(kind="wide_starts", strength=1.0))
    starts = np.array([env.reset(seed=seed)[0] for seed in range(200)])
    spread = np.abs(starts).max(axis=0)
    assert (spread > 0.05).all()  # CartPole's own starts stay within +-0.05
    assert (spread <= np.array([0.55, 0.55, 0.15, 0.55])).all()
    np.testing.assert_array_equal(starts[3], env.reset(seed=3)[0])  # seeded


def test_every_policy_meets_the_same_perturbations() -> None:
    # With every action replaced by a random one, what the agent asks for cannot matter.
    slips = Shift(kind="action_noise", strength=1.0)
    left = evaluate_under_shift(Constant(0), "CartPole-v1", slips, episodes=5, seed=3)
    right = evaluate_under_shift(Constant(1), "CartPole-v1", slips, episodes=5, seed=3)
    assert left.returns == right.returns
    unshifted = evaluate_under_shift(Constant(0), "CartPole-v1", Shift(), episodes=5, seed=3)
    assert unshifted.returns != left.returns


def test_pushes_make_the_expert_work_harder() -> None:
    expert = make_expert(make_env("CartPole-v1"))
    calm = evaluate_under_shift(expert, "CartPole-v1", Shift(), episodes=5, seed=0)
    pushed = evaluate_under_shift(expert, "CartPole-v1", Shift(kind="pushes", strength=6.0),
                                  episodes=5, seed=0)
    assert calm.return_mean == 500.0
    assert pushed.return_mean < calm.return_mean


def test_pendulum_pushes_change_the_velocity() -> None:
    env = ShiftWrapper(make_env("Pendulum-v1"),
                       Shift(kind="pushes", strength=1.0, push_probability=1.0))
    plain = make_env("Pendulum-v1")
    env.reset(seed=0)
    plain.reset(seed=0)
    pushed, *_ = env.step(np.zeros(1, dtype=np.float32))
    calm, *_ = plain.step(np.zeros(1, dtype=np.float32))
    np.testing.assert_allclose(pushed[:2], calm[:2])  # the angle is untouched
    assert pushed[2] != pytest.approx(calm[2])


def test_bad_shifts_are_refused() -> None:
    with pytest.raises(ValueError, match="shift kind must be one of"):
        Shift(kind="earthquake")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range for action_noise"):
        Shift(kind="action_noise", strength=1.5)
    with pytest.raises(ValueError, match="shifts are defined for CartPole-v1, Pendulum-v1"):
        ShiftWrapper(make_env("Acrobot-v1"), Shift(kind="pushes"))
