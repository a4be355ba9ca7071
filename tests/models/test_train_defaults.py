"""The default length of a run: passes over the data, bounded, shorter for image policies."""

from __future__ import annotations

from clonelab.models.train_config import (
    MAX_DEFAULT_STEPS,
    MAX_IMAGE_STEPS,
    MIN_DEFAULT_STEPS,
    MIN_IMAGE_STEPS,
    TrainConfig,
)


def test_image_runs_default_to_a_few_passes_within_minutes_of_samples() -> None:
    config = TrainConfig()
    # 20 Pong demo games cut at 5,000 steps: 90,000 training frames would be 7,040 steps.
    assert config.total_steps(90_000, images=True) == MAX_IMAGE_STEPS == 4000
    # 20 CarRacing demos: 20 passes of 71 batches.
    assert config.total_steps(18_000, images=True) == 20 * 71
    # A handful of MiniGrid rooms: the floor.
    assert config.total_steps(750, images=True) == MIN_IMAGE_STEPS == 1000
    assert config.total_steps(90_000, images=True) * config.batch_size <= 1_100_000


def test_vector_defaults_are_unchanged() -> None:
    config = TrainConfig()
    assert config.total_steps(10_000) == 200 * 40
    assert config.total_steps(750) == MIN_DEFAULT_STEPS
    assert config.total_steps(1_000_000) == MAX_DEFAULT_STEPS


def test_steps_or_epochs_asked_for_win_over_the_image_default() -> None:
    assert TrainConfig(steps=12_000).total_steps(90_000, images=True) == 12_000
    assert TrainConfig(epochs=2, batch_size=100).total_steps(1_000, images=True) == 20
