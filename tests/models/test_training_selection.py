"""train_bc keeps the best weights, stops early, warns of overfitting, can pick by return."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.evaluation import evaluate
from clonelab.models.train_selection import overfit_warning
from clonelab.models.training import (
    SELECT_SEED_OFFSET,
    TrainConfig,
    TrainingError,
    TrainResult,
    train_bc,
)
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode

# A big net and a high learning rate on a few hundred rows: it memorises them fast.
MEMORISE = dict(hidden=(256, 256), batch_size=64, lr=3e-3, val_fraction=0.2, log_every=20,
                device="cpu")


def coin_flips(episodes: int = 10, steps: int = 40, seed: int = 0) -> FakeDataset:
    """CartPole-shaped observations with coin-flip actions: nothing to learn, all to memorise,
    so the validation loss rises as soon as training fits the training episodes."""
    rng = np.random.default_rng(seed)
    recorded = [FakeEpisode(observations=rng.normal(size=(steps + 1, 4)).astype(np.float32),
                            actions=rng.integers(0, 2, size=steps),
                            rewards=np.ones(steps))
                for _ in range(episodes)]
    env = gym.make("CartPole-v1")
    return FakeDataset("CartPole-v1", env.observation_space, env.action_space, recorded)


def val_loss_of(result: TrainResult, dataset: FakeDataset) -> float:
    """The returned policy's loss on the run's validation episodes, scored afresh."""
    held_out = dataset.transitions(result.val_episodes)
    policy = result.policy
    with torch.no_grad():
        actions = torch.as_tensor(held_out.actions)
        return float(policy.loss(policy.as_tensor(held_out.observations),
                                 policy.targets(actions)))


def test_the_weights_with_the_lowest_validation_loss_are_kept() -> None:
    data = coin_flips()
    result = drain(train_bc(TrainConfig(steps=600, patience=0, **MEMORISE), data))
    losses = [record.val_loss for record in result.history]
    assert losses[-1] > 1.5 * min(losses)  # the run overfits: validation loss rises
    assert result.kept.val_loss == min(losses)
    assert result.kept.step == result.history[losses.index(min(losses))].step
    assert result.kept.step < result.metrics.step and not result.stopped_early
    assert val_loss_of(result, data) == pytest.approx(min(losses), rel=1e-5)
    assert result.metrics.best_step == result.kept.step  # the records say which step

    last = drain(train_bc(TrainConfig(steps=600, patience=0, select_by="last", **MEMORISE),
                          data))
    assert last.kept is last.metrics
    assert val_loss_of(last, data) == pytest.approx(losses[-1], rel=1e-5)


def test_training_stops_early_when_validation_stops_improving() -> None:
    result = drain(train_bc(TrainConfig(steps=5000, patience=200, **MEMORISE), coin_flips()))
    assert result.stopped_early and not result.cancelled
    assert result.metrics.step == result.kept.step + 200 < 5000
    assert min(r.val_loss for r in result.history) == result.kept.val_loss


def test_overfitting_is_named_with_the_best_step() -> None:
    result = drain(train_bc(TrainConfig(steps=600, patience=0, **MEMORISE), coin_flips()))
    warning = overfit_warning(result.history)
    assert warning is not None and warning.startswith("Overfitting")
    assert f"at step {result.kept.step}" in warning


def test_a_run_that_fits_raises_no_overfitting_warning(cartpole_demos: FakeDataset) -> None:
    config = TrainConfig(steps=300, log_every=50, hidden=(32, 32), batch_size=64, device="cpu")
    result = drain(train_bc(config, cartpole_demos))
    assert overfit_warning(result.history) is None


def test_selection_by_evaluation_return_keeps_the_best_playing_snapshot(
        cartpole_demos: FakeDataset) -> None:
    config = TrainConfig(steps=300, log_every=50, hidden=(32, 32), batch_size=64, device="cpu",
                         select_by="eval_return", select_episodes=2, patience=0)
    result = drain(train_bc(config, cartpole_demos))
    returns = [record.eval_return for record in result.history]
    assert None not in returns and len(set(returns)) > 1  # the snapshots play differently
    assert result.kept.eval_return == max(returns)
    assert result.kept.step == result.history[returns.index(max(returns))].step
    replay = evaluate(result.policy, "CartPole-v1", episodes=2,
                      seed=config.seed + SELECT_SEED_OFFSET)
    assert replay.return_mean == result.kept.eval_return


def test_selection_by_return_needs_a_playable_env() -> None:
    data = coin_flips()
    data.env_id = "NoSuchEnv-v0"
    config = TrainConfig(steps=20, select_by="eval_return", **MEMORISE)
    with pytest.raises(TrainingError, match='select_by "eval_return" plays NoSuchEnv-v0'):
        drain(train_bc(config, data))


def noisy_held_out_torques(episodes: int = 10, steps: int = 50) -> FakeDataset:
    """Pendulum-shaped data: torque = tanh of the first feature plus noise. Memorising the
    training noise shrinks the predicted spread, so the validation loss turns up while the
    mean's error is still falling."""
    rng = np.random.default_rng(0)
    env = gym.make("Pendulum-v1")
    recorded = []
    for _ in range(episodes):
        observations = rng.uniform(-1, 1, size=(steps + 1, 3)).astype(np.float32)
        torque = np.tanh(2 * observations[:-1, :1]) + rng.normal(0, 0.3, size=(steps, 1))
        recorded.append(FakeEpisode(observations=observations,
                                    actions=np.clip(torque, -2, 2).astype(np.float32),
                                    rewards=np.zeros(steps)))
    return FakeDataset("Pendulum-v1", env.observation_space, env.action_space, recorded)


def test_continuous_actions_keep_the_weights_with_the_lowest_action_error() -> None:
    """The Gaussian loss also scores the spread, which deterministic play never uses."""
    config = TrainConfig(steps=1500, patience=0, **MEMORISE)
    result = drain(train_bc(config, noisy_held_out_torques()))
    losses = [record.val_loss for record in result.history]
    errors = [record.val_action_error for record in result.history]
    assert losses.index(min(losses)) != errors.index(min(errors))  # the two disagree here
    assert result.kept.val_action_error == min(errors)
    assert result.kept.step == result.history[errors.index(min(errors))].step
