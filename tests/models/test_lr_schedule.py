"""The learning-rate schedule: constant, or a half cosine from lr down to 0 at the last step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from clonelab.models.train_device import AdamSteps
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode


def test_the_cosine_schedule_falls_from_lr_to_zero_over_the_run() -> None:
    config = TrainConfig(lr=0.01, lr_schedule="cosine")
    assert config.lr_at(0, 11) == pytest.approx(0.01)
    assert config.lr_at(5, 11) == pytest.approx(0.005)
    assert config.lr_at(10, 11) == pytest.approx(0.0, abs=1e-12)
    rates = [config.lr_at(step, 11) for step in range(11)]
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))
    assert TrainConfig(lr=0.01).lr_at(10, 11) == 0.01


def test_an_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="lr_schedule must be constant or cosine"):
        TrainConfig(lr_schedule="linear")  # type: ignore[arg-type]


def test_each_training_step_runs_at_the_scheduled_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    episodes = [FakeEpisode(rng.normal(size=(31, 3)).astype(np.float32),
                            rng.integers(0, 2, 30), np.zeros(30)) for _ in range(2)]
    demos = FakeDataset("Fake-v0", gym.spaces.Box(-5, 5, (3,), np.float32),
                        gym.spaces.Discrete(2), episodes)
    rates: list[float] = []
    set_lr = AdamSteps.set_lr

    def recording(optimizer: AdamSteps, lr: float) -> None:
        set_lr(optimizer, lr)
        rates.append(optimizer.optimizer.param_groups[0]["lr"])  # what Adam's step reads

    monkeypatch.setattr(AdamSteps, "set_lr", recording)
    config = TrainConfig(steps=6, lr=0.02, lr_schedule="cosine", hidden=(8,), device="cpu",
                         val_fraction=0.0)
    drain(train_bc(config, demos))
    assert rates == pytest.approx([config.lr_at(step, 6) for step in range(6)], abs=1e-12)
