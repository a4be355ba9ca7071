"""Acceptance: BC on scripted-expert demos recorded into a real dataset clones the expert.

Each test records noise-free expert episodes through a PlaySession into a DemoDataset, trains
with train_bc on the CPU, and evaluates the clone on 20 seeded episodes it never saw.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clonelab.models.checkpoint import load_policy, save_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.demos import record_expert_dataset

pytestmark = pytest.mark.slow

EVAL_SEED = 1000  # the demos use seeds 0..N-1: evaluation starts are new to the clone


def test_cartpole_clone_balances_the_pole(tmp_path: Path) -> None:
    dataset = record_expert_dataset(tmp_path / "cartpole", "CartPole-v1", episodes=10)
    config = TrainConfig(steps=1000, seed=0, device="cpu")
    result = drain(train_bc(config, dataset))
    # Through a checkpoint, as the app and the CLI use it.
    path = save_policy(tmp_path / "cartpole.pt", result.policy, config,
                       dataset_fingerprint=result.dataset_fingerprint)
    evaluation = evaluate(load_policy(path, env_id="CartPole-v1"), "CartPole-v1", episodes=20,
                          seed=EVAL_SEED)
    assert evaluation.return_mean >= 475, evaluation.returns


def test_pendulum_gaussian_clone_swings_up_and_balances(tmp_path: Path) -> None:
    dataset = record_expert_dataset(tmp_path / "pendulum", "Pendulum-v1", episodes=20)
    # lr 3e-4 rather than the default 1e-3: on this task the closed-loop return of clones
    # trained at 1e-3 depended on the seed (2 of 8 seeds failed to balance); at 3e-4, 12 of 12
    # seeds scored between -157 and -172.
    config = TrainConfig(steps=2000, lr=3e-4, seed=0, device="cpu")
    result = drain(train_bc(config, dataset))
    evaluation = evaluate(result.policy, "Pendulum-v1", episodes=20, seed=EVAL_SEED)
    assert evaluation.return_mean >= -200, evaluation.returns


def test_minigrid_pixel_clone_reaches_the_goal(tmp_path: Path) -> None:
    # Random start cells and headings (the catalog's room always starts in one corner), so
    # the CNN has to read the agent's place and heading off the pixels.
    random_start = {"agent_start_pos": None}
    dataset = record_expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", episodes=30,
                                    **random_start)
    config = TrainConfig(steps=300, batch_size=64, seed=0, device="cpu")
    result = drain(train_bc(config, dataset))
    assert result.policy.spec.observation_kind == "image"
    for kwargs in (random_start, {}):
        evaluation = evaluate(result.policy, "MiniGrid-Empty-5x5-v0", episodes=20,
                              seed=EVAL_SEED, env_kwargs=kwargs)
        successes = sum(episode_return > 0 for episode_return in evaluation.returns)
        assert successes >= 18, (kwargs, evaluation.returns)
