"""DAgger against BC over several seeds: the points, the intervals, the verdict, cancel."""

from __future__ import annotations

import dataclasses
import math

import pytest

from clonelab.models.failures.dagger import DaggerConfig, DaggerProgress, run_dagger
from clonelab.models.failures.dagger_seeds import (
    DaggerSeedsConfig,
    Interval,
    SeedPoint,
    run_dagger_seeds,
    seed_curve,
    t_quantile,
)
from clonelab.models.training import TrainConfig
from clonelab.recorder.jobs import drain

TINY = TrainConfig(steps=30, hidden=(8,), device="cpu", log_every=30)
RUN = DaggerConfig(env_id="CartPole-v1", iterations=2, episodes_per_iter=1,
                   max_episode_steps=25, eval_episodes=2, train=TINY, seed=3)


def _point(seed: int, iteration: int, dagger: float, bc: float, labels: int | None = None
           ) -> SeedPoint:
    progress = DaggerProgress(iteration=iteration, iterations=2, beta=1.0,
                              labels=100 + seed if labels is None else labels,
                              expert_share=1.0, dagger_return=dagger, bc_return=bc,
                              elapsed_s=0.0)
    return SeedPoint(seed=seed, seed_index=seed, seeds=3, point=progress)


def test_t_quantiles_match_the_tables() -> None:
    assert t_quantile(1) == 12.706 and t_quantile(4) == 2.776
    assert t_quantile(40) == pytest.approx(2.021, abs=0.001)
    assert t_quantile(120) == pytest.approx(1.980, abs=0.001)


def test_interval_is_mean_plus_minus_t_times_standard_error() -> None:
    interval = Interval.of([1.0, 2.0, 3.0])
    half = 4.303 / math.sqrt(3)  # sd 1, t(2)
    assert interval.mean == 2.0 and interval.n == 3
    assert (interval.low, interval.high) == pytest.approx((2.0 - half, 2.0 + half))
    single = Interval.of([5.0])
    assert single.mean == 5.0 and math.isnan(single.low)
    assert single.as_dict() == {"mean": 5.0, "low": None, "high": None, "n": 1}


def test_the_paired_difference_decides_the_verdict() -> None:
    # BC varies a lot between seeds, but DAgger beats it by 10-12 on every seed.
    points = [_point(0, 0, 10.0, 0.0), _point(1, 0, 112.0, 100.0), _point(2, 0, 61.0, 50.0),
              _point(0, 1, 0.0, 5.0), _point(1, 1, 100.0, 50.0), _point(2, 1, 30.0, 60.0)]
    first, second = seed_curve(points)
    assert first.dagger.low < first.bc.high  # the two bands overlap ...
    assert first.verdict == "DAgger ahead"  # ... but the pairs do not
    assert first.labels == 101.0
    assert second.verdict == "no clear winner"
    assert seed_curve(points[:1])[0].verdict == "one seed"


def test_label_counts_come_from_the_finished_seeds_while_one_runs() -> None:
    # Seed 1 is at iteration 0 with few labels; counting it would put iteration 0 at 200 and
    # iteration 1 (seed 0 only) at 150, left of it.
    points = [_point(0, 0, 1.0, 0.0, labels=100), _point(0, 1, 1.0, 0.0, labels=150),
              _point(1, 0, 1.0, 0.0, labels=300)]
    assert [c.labels for c in seed_curve(points)] == [100.0, 150.0]
    assert [c.labels for c in seed_curve(points[:1])] == [100.0]  # none finished yet
    assert seed_curve(points)[0].dagger.n == 2  # the returns still count every seed


def test_each_seed_runs_the_setting_with_its_own_seed() -> None:
    config = DaggerSeedsConfig(run=RUN, seeds=2)
    records: list[SeedPoint] = []
    result = drain(run_dagger_seeds(config), records.append)
    assert [(r.seed, r.point.iteration) for r in records] == [(3, 0), (3, 1), (4, 0), (4, 1)]
    assert result.points == tuple(records) and not result.cancelled
    # Seed 4's points are those of a plain run with seed 4 (its clones seeded by it too).
    alone = drain(run_dagger(dataclasses.replace(RUN, seed=4).with_train(TINY)))
    assert [r.point for r in records[2:]] == [
        dataclasses.replace(p, elapsed_s=r.point.elapsed_s)
        for p, r in zip(alone.history, records[2:], strict=True)]
    assert result.last_run is not None and result.last_run.config.train.seed == 4
    curve = result.curve
    assert [c.iteration for c in curve] == [0, 1] and all(c.dagger.n == 2 for c in curve)
    summary = result.summary()
    assert summary["seeds"] == [3, 4] and len(summary["points"]) == 4
    assert summary["curve"][1]["verdict"] in ("DAgger ahead", "BC ahead", "no clear winner")


def test_cancel_returns_the_points_finished() -> None:
    config = DaggerSeedsConfig(run=dataclasses.replace(RUN, iterations=5), seeds=3)
    records: list[SeedPoint] = []
    job = run_dagger_seeds(config, cancel=lambda: len(records) >= 2)
    result = drain(job, records.append)
    assert result.cancelled and result.points == tuple(records)
    assert len(records) == 2 and {r.seed for r in records} == {3}


@pytest.mark.parametrize("overrides, message", [
    ({"seeds": 0}, "seeds"),
    ({"run": dataclasses.replace(RUN, baseline=False)}, "baseline"),
])
def test_config_refuses_bad_values(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DaggerSeedsConfig(**({"run": RUN} | overrides))
