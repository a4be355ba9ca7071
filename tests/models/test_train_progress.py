"""Progress people can trust: the first record within seconds, an ETA that counts validation.

Training reads time from a fake clock here: each step advances it by STEP_S (through the
cancel check, which runs once before every step) and each validation by VALIDATION_S.
"""

from __future__ import annotations

import pytest
import torch

from clonelab.models import training
from clonelab.models.train_progress import FIRST_RECORD_S, ProgressPlan
from clonelab.models.training import TrainConfig, TrainProgress, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset

STEP_S = 0.5
VALIDATION_S = 3.0
SMALL = dict(hidden=(16,), batch_size=64, device="cpu")


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def slow_run(config: TrainConfig, dataset: FakeDataset, monkeypatch: pytest.MonkeyPatch,
             ) -> tuple[list[TrainProgress], training.TrainResult]:
    """`train_bc` as if each step took STEP_S and each validation VALIDATION_S seconds."""
    clock = FakeClock()
    validate = training._validate

    def slow_validation(*args: object) -> tuple[float | None, float | None, float | None]:
        clock.t += VALIDATION_S
        return validate(*args)  # type: ignore[arg-type]

    def one_step_passes() -> bool:
        clock.t += STEP_S
        return False

    monkeypatch.setattr(training, "_validate", slow_validation)
    records: list[TrainProgress] = []
    result = drain(train_bc(config, dataset, cancel=one_step_passes, now=clock),
                   records.append)
    return records, result


def test_the_first_record_comes_after_a_few_seconds_not_after_log_every_steps(
        cartpole_demos: FakeDataset, monkeypatch: pytest.MonkeyPatch) -> None:
    config = TrainConfig(steps=50, log_every=20, **SMALL)
    records, _ = slow_run(config, cartpole_demos, monkeypatch)
    first_step = int(FIRST_RECORD_S / STEP_S)  # 4 steps of 0.5 s: 2 s
    assert [r.step for r in records] == [first_step, 20, 40, 50]
    assert records[0].elapsed_s == pytest.approx(first_step * STEP_S + VALIDATION_S)
    assert records[0].train_loss is not None and records[0].val_loss is not None


def test_a_quick_run_keeps_its_records_every_log_every_steps(
        cartpole_demos: FakeDataset) -> None:
    records: list[TrainProgress] = []
    drain(train_bc(TrainConfig(steps=30, log_every=10, **SMALL), cartpole_demos,
                   now=FakeClock()), records.append)
    assert [r.step for r in records] == [10, 20, 30]


def test_the_eta_counts_the_records_time_as_well_as_the_steps(
        cartpole_demos: FakeDataset, monkeypatch: pytest.MonkeyPatch) -> None:
    config = TrainConfig(steps=50, log_every=20, **SMALL)
    records, result = slow_run(config, cartpole_demos, monkeypatch)
    # At step 4: 46 steps of 0.5 s left, and 3 records (20, 40, 50) of 3 s each.
    assert [r.eta_s for r in records] == pytest.approx(
        [46 * STEP_S + 3 * VALIDATION_S, 30 * STEP_S + 2 * VALIDATION_S,
         10 * STEP_S + 1 * VALIDATION_S, 0.0])
    # What the run then took after step 4, as the first record foretold.
    assert result.seconds - records[0].elapsed_s == pytest.approx(records[0].eta_s)
    # Throughput counts the steps alone: 50 batches of 64 rows, one of them the 8 left at
    # the end of the first pass over 1,800 training rows (4 episodes less their 10% tails).
    assert result.samples_per_s == pytest.approx((49 * 64 + 8) / (50 * STEP_S))


def test_records_left_and_eta_of_the_plan() -> None:
    clock = FakeClock()
    plan = ProgressPlan(log_every=100, total=250, now=clock)
    assert [plan.records_left(step) for step in (1, 99, 100, 200, 201, 250)] == [3, 3, 2, 1, 1, 0]
    assert plan.eta_s(0, 0.0) is None
    assert not plan.due(1)
    clock.t += FIRST_RECORD_S
    assert plan.due(1) and plan.due(1, agree=lambda late: False) is False
    plan.recorded(4.0)
    assert not plan.due(2) and plan.due(100) and plan.due(250)
    assert plan.eta_s(10, 5.0) == pytest.approx(240 * 0.5 + 3 * 4.0)


def test_the_early_record_leaves_the_kept_weights_as_they_would_be_without_it(
        cartpole_demos: FakeDataset, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first record's time rule depends on the wall clock; the weights a run keeps must
    not (the same seed and data give the same clone, however fast the machine). Here the
    first validation of each run scores best: were the early record a candidate, the slow run
    would keep step 4's weights and the fast one step 20's."""
    config = TrainConfig(steps=50, log_every=20, select_by="val_loss", **SMALL)
    calls: list[int] = []

    def first_scores_best(*args: object) -> tuple[float | None, float | None, float | None]:
        calls.append(1)
        return (0.0 if len(calls) == 1 else 1.0), None, None

    monkeypatch.setattr(training, "_validate", first_scores_best)
    slow_records, slow = slow_run(config, cartpole_demos, monkeypatch)
    calls.clear()
    monkeypatch.setattr(training, "_validate", first_scores_best)
    fast_records: list[TrainProgress] = []
    fast = drain(train_bc(config, cartpole_demos, now=FakeClock()), fast_records.append)
    assert slow_records[0].step < 20 and fast_records[0].step == 20  # the early record
    assert slow.kept.step == fast.kept.step == 20
    for name, value in fast.policy.state_dict().items():
        assert torch.equal(value, slow.policy.state_dict()[name]), name


def test_loading_a_large_image_dataset_says_how_far_it_has_come(tmp_path) -> None:
    """Converting frames into memory takes minutes for a large Atari dataset: records at
    step 0 say what share is loaded, every LOAD_RECORD_S seconds, before training's first."""
    from clonelab.models.train_progress import LOAD_RECORD_S
    from clonelab.recorder.dataset import DemoDataset
    from tests.recorder.crash_writer import (
        DISCRETE_ACTIONS,
        IMAGE_SPACE,
        synthetic_episode,
    )

    dataset = DemoDataset.create(tmp_path / "frames", env_id="Synthetic-v0",
                                 observation_space=IMAGE_SPACE, action_space=DISCRETE_ACTIONS)
    for seed in range(3):
        dataset.append(synthetic_episode(seed, 64, IMAGE_SPACE))
    clock = FakeClock()

    def ticking() -> float:  # every look at the clock finds LOAD_RECORD_S / 2 more passed
        clock.t += LOAD_RECORD_S / 2
        return clock.t

    config = TrainConfig(steps=4, log_every=2, frame_size=(24, 24), hidden=(8,), batch_size=16,
                         device="cpu")
    records: list[TrainProgress] = []
    result = drain(train_bc(config, dataset, now=ticking), records.append)
    loading = [r for r in records if r.loaded is not None]
    assert loading and all(r.step == 0 and r.train_loss is None for r in loading)
    shares = [r.loaded for r in loading]
    assert shares == sorted(shares) and 0 < shares[0] < 1 and shares[-1] <= 1
    assert records[len(loading)].loaded is None and records[len(loading)].step > 0
    assert all(r.loaded is None for r in result.history)  # not part of the run's history
