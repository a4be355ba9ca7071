"""Observation normalisation for BC: a std floor, so one narrow demo is not blown up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.models import train_data
from clonelab.models.data import STD_FLOOR, input_stats
from clonelab.models.evaluation import evaluate
from clonelab.models.observations import episode_inputs
from clonelab.models.train_inputs import StackedRows
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.demos import record_expert_dataset
from tests.models.fakes import FakeDataset


def test_a_feature_the_demos_barely_moved_is_not_blown_up() -> None:
    rng = np.random.default_rng(0)
    observations = np.stack([rng.normal(0.1, 0.004, 500),   # CartPole's cart in one demo
                             rng.normal(0.0, 3.0, 500)], axis=1)  # a wide feature
    mean, std = input_stats(observations)
    np.testing.assert_allclose(mean, observations.mean(axis=0))
    assert std[0] == STD_FLOOR == 0.3  # at most 3.3x, not 250x
    assert std[1] == pytest.approx(observations[:, 1].std())


@pytest.mark.slow
def test_cartpole_clone_from_one_expert_episode_balances(tmp_path: Path) -> None:
    """Issue 9, item 26: seed 3 of bench/cartpole_one_episode.py, which scored 304.9 when
    normalisation divided by the demo's own std (0.004 for the cart, 0.007 for the pole)."""
    dataset = record_expert_dataset(tmp_path / "one", "CartPole-v1", episodes=1, seed=3000)
    config = TrainConfig(steps=5000, val_fraction=0.0, seed=3, device="cpu")
    result = drain(train_bc(config, dataset))
    evaluation = evaluate(result.policy, "CartPole-v1", episodes=20, seed=10_000)
    assert evaluation.return_mean >= 475, evaluation.returns


def test_training_validation_and_acting_see_the_same_inputs(
        cartpole_demos: FakeDataset, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training normalises its rows once, before the loop; every batch it trains and validates
    on must be bit for bit what the trained policy computes from the raw stacked steps when it
    acts (`Policy.normalise`, inside `act`)."""
    gathered: list[tuple[torch.Tensor, torch.Tensor]] = []

    class Spy(StackedRows):
        def gather(self, rows: torch.Tensor) -> torch.Tensor:
            inputs = super().gather(rows)
            gathered.append((rows.clone(), inputs.clone()))
            return inputs

    monkeypatch.setattr(train_data, "StackedRows", Spy)
    config = TrainConfig(steps=12, log_every=6, batch_size=64, hidden=(16,), history=3,
                         select_by="last", device="cpu")
    result = drain(train_bc(config, cartpole_demos))
    data = cartpole_demos.transitions()
    raw = episode_inputs(result.policy.spec.pipeline, data.observations, data.episode_ids)
    assert raw.shape[1:] == (12,) and len(gathered) == 12 + 2  # the steps, two validations
    for rows, inputs in gathered:
        assert torch.equal(inputs, result.policy.normalise(raw[rows]))
    val_rows = gathered[-1][0]
    targets = result.policy.targets(torch.as_tensor(data.actions[val_rows.numpy()]))
    with torch.no_grad():
        acting_loss = float(result.policy.loss(raw[val_rows], targets))
    assert result.metrics.val_loss == pytest.approx(acting_loss, rel=1e-6)
