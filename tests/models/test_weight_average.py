"""Polyak averaging of the weights: the average's arithmetic, and training that validates and
keeps the average while its steps stay those of the weights as trained."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from clonelab.models.training import TrainConfig, train_bc
from clonelab.models.weight_average import WeightAverage
from clonelab.recorder.jobs import drain
from tests.models.test_train_device import bright_side_demos


def test_the_decay_ramps_up_to_the_one_asked_for() -> None:
    average = WeightAverage(nn.Linear(1, 1), 0.99)
    assert average.decay_at(0) == pytest.approx(0.1)
    assert average.decay_at(90) == pytest.approx(91 / 100)
    assert average.decay_at(10_000) == 0.99


def test_the_average_follows_the_weights_and_is_lent_or_given() -> None:
    layer = nn.Linear(2, 1)
    with torch.no_grad():
        layer.weight.fill_(0.0)
    average = WeightAverage(layer, 0.5)
    expected = torch.zeros(1, 2)
    for step, value in enumerate((10.0, 20.0, 30.0)):
        with torch.no_grad():
            layer.weight.fill_(value)
        average.update(layer)
        decay = average.decay_at(step)
        expected = decay * expected + (1 - decay) * value
    with average.applied(layer):
        torch.testing.assert_close(layer.weight.detach(), expected)
    assert torch.equal(layer.weight.detach(), torch.full((1, 2), 30.0))
    average.apply(layer)
    torch.testing.assert_close(layer.weight.detach(), expected)


def test_no_decay_means_no_average() -> None:
    layer = nn.Linear(2, 1)
    before = layer.weight.detach().clone()
    average = WeightAverage(layer, 0.0)
    average.update(layer)
    with torch.no_grad():
        layer.weight.add_(1.0)
    average.apply(layer)
    assert not average.active
    assert torch.equal(layer.weight.detach(), before + 1.0)


@pytest.mark.parametrize("select_by", ["val_loss", "last"])
def test_training_validates_and_keeps_the_average_without_changing_its_steps(
        select_by: str) -> None:
    demos = bright_side_demos()
    base = {"steps": 60, "batch_size": 32, "log_every": 20, "hidden": (16,), "device": "cpu",
            "select_by": select_by}
    plain = drain(train_bc(TrainConfig(**base), demos))
    averaged = drain(train_bc(TrainConfig(**base, weight_average=0.9), demos))
    # The steps train the same weights: the average only reads them.
    assert [r.train_loss for r in averaged.history] == [r.train_loss for r in plain.history]
    # What is validated and kept is the average, and it has learned the task.
    assert [r.val_loss for r in averaged.history] != [r.val_loss for r in plain.history]
    assert averaged.kept.val_accuracy is not None and averaged.kept.val_accuracy >= 0.9
    differs = [not torch.equal(a, b) for a, b in zip(averaged.policy.parameters(),
                                                     plain.policy.parameters(), strict=True)]
    assert all(differs)


@pytest.mark.parametrize("value", [1.0, -0.1, True, "0.9"])
def test_a_decay_outside_0_to_1_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="weight_average must lie in"):
        TrainConfig(weight_average=value)  # type: ignore[arg-type]
