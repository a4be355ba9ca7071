"""DAgger against BC at equal expert labels over several seeds: a mean and a 95% interval per point.

One DAgger run (`models.failures.dagger.run_dagger`) is one seed's curve, and its noise is as
large as the effect: on LunarLander two clones of the same setting differ by 100 points from
one seed to the next. `run_dagger_seeds` runs the same setting for seeds s, s+1, ... in turn
and yields every finished (seed, iteration) point as a `SeedPoint`; `seed_curve` turns the
points so far into the mean per iteration with a t-interval over seeds, for DAgger, for BC and
for their paired difference (both sides of a seed share the episode and evaluation starts, so
the difference per seed carries less noise than either side).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from clonelab.models.failures.dagger import DaggerConfig, DaggerProgress, DaggerResult, run_dagger
from clonelab.recorder.configs import check_counts
from clonelab.recorder.jobs import CancelCheck, cancel_check, relay

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; beyond, the
# Cornish-Fisher expansion below is within 0.001 of the exact value.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_Z975 = 1.959964

Verdict = Literal["DAgger ahead", "BC ahead", "no clear winner", "one seed"]


def t_quantile(df: int) -> float:
    """The two-sided 95% quantile of Student's t with `df` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError(f"t_quantile needs df >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A mean over seeds with its 95% t-interval (NaN bounds with fewer than two seeds)."""

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Interval:
        """The mean of `values` and mean ± t(n-1) * sd / sqrt(n)."""
        data = np.asarray(list(values), dtype=np.float64)
        if len(data) == 0:
            return cls(mean=math.nan, low=math.nan, high=math.nan, n=0)
        mean = float(data.mean())
        if len(data) < 2:
            return cls(mean=mean, low=math.nan, high=math.nan, n=1)
        half = t_quantile(len(data) - 1) * float(data.std(ddof=1)) / math.sqrt(len(data))
        return cls(mean=mean, low=mean - half, high=mean + half, n=len(data))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return {key: None if isinstance(value, float) and math.isnan(value) else value
                for key, value in dataclasses.asdict(self).items()}


@dataclass(frozen=True, kw_only=True)
class DaggerSeedsConfig:
    """One DAgger setting run over several seeds; shared by the bench and the app."""

    run: DaggerConfig
    """The setting; its `seed` is the first seed, and every clone of a seed is seeded by it."""
    seeds: int = 8
    """Seeds run one after the other: run.seed, run.seed + 1, ... (on LunarLander 5 seeds left
    DAgger's lead of 236 after 8 iterations inside its 95% interval, [-45, 517]; 8 did not)."""

    def __post_init__(self) -> None:
        check_counts(self, "seeds")
        if not self.run.baseline:
            raise ValueError("DaggerSeedsConfig compares DAgger with BC: the run needs its "
                             "baseline (baseline=True)")

    def for_seed(self, index: int) -> DaggerConfig:
        """The run of the `index`-th seed (its clones seeded with it)."""
        run = dataclasses.replace(self.run, seed=self.run.seed + index)
        return run.with_train(run.train)


@dataclass(frozen=True, kw_only=True)
class SeedPoint:
    """One finished iteration of one seed."""

    seed: int
    seed_index: int
    """0 for the first seed."""
    seeds: int
    point: DaggerProgress


@dataclass(frozen=True, kw_only=True)
class CurvePoint:
    """One iteration over the seeds scored so far."""

    iteration: int
    labels: float
    """Expert labels, mean over seeds (both sides of a seed had exactly as many); see
    `seed_curve` for which seeds."""
    dagger: Interval
    bc: Interval
    difference: Interval
    """DAgger minus BC, seed by seed."""

    @property
    def verdict(self) -> Verdict:
        """Which side the paired difference's 95% interval puts ahead, if either."""
        if self.difference.n < 2:
            return "one seed"
        if self.difference.low > 0:
            return "DAgger ahead"
        if self.difference.high < 0:
            return "BC ahead"
        return "no clear winner"


def seed_curve(points: Sequence[SeedPoint]) -> list[CurvePoint]:
    """Mean and 95% interval per iteration over the seeds that scored it (unscored skipped).

    The label count of an iteration is the mean over the seeds that finished every iteration
    (over all seeds scoring it while none has): a seed still running has fewer labels, and
    counting it at its first iterations only would move them left of later ones.
    """
    by_iteration: dict[int, list[SeedPoint]] = {}
    labels: dict[tuple[int, int], int] = {}
    finished = set()
    for seed_point in points:
        point = seed_point.point
        labels[seed_point.seed, point.iteration] = point.labels
        if point.iteration == point.iterations - 1:
            finished.add(seed_point.seed)
        if point.dagger_return is not None and point.bc_return is not None:
            by_iteration.setdefault(point.iteration, []).append(seed_point)
    curve = []
    for iteration in sorted(by_iteration):
        scored = [p.point for p in by_iteration[iteration]]
        counted = sorted(finished) or [p.seed for p in by_iteration[iteration]]
        dagger = [float(p.dagger_return) for p in scored if p.dagger_return is not None]
        bc = [float(p.bc_return) for p in scored if p.bc_return is not None]
        curve.append(CurvePoint(
            iteration=iteration,
            labels=float(np.mean([labels[seed, iteration] for seed in counted])),
            dagger=Interval.of(dagger), bc=Interval.of(bc),
            difference=Interval.of(np.subtract(dagger, bc))))
    return curve


@dataclass(frozen=True, kw_only=True)
class DaggerSeedsResult:
    """Every (seed, iteration) point, and the last finished seed's run (its clones)."""

    config: DaggerSeedsConfig
    points: tuple[SeedPoint, ...]
    last_run: DaggerResult | None
    """The last seed's run that finished or was cancelled (None before any)."""
    cancelled: bool

    @property
    def curve(self) -> list[CurvePoint]:
        return seed_curve(self.points)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: the setting, each point per seed, and the curve with its intervals."""
        run = self.config.run
        return {
            "env_id": run.env_id,
            "seeds": [self.config.run.seed + i for i in range(self.config.seeds)],
            "iterations": run.iterations, "episodes_per_iter": run.episodes_per_iter,
            "hidden": list(run.train.hidden), "steps": run.train.steps,
            "batch_size": run.train.batch_size, "eval_episodes": run.eval_episodes,
            "decay": run.decay, "expert_noise": run.expert_noise,
            "points": [{"seed": p.seed, "iteration": p.point.iteration,
                        "labels": p.point.labels, "dagger_return": p.point.dagger_return,
                        "bc_return": p.point.bc_return} for p in self.points],
            "curve": [{"iteration": c.iteration, "labels": c.labels,
                       "dagger": c.dagger.as_dict(), "bc": c.bc.as_dict(),
                       "difference": c.difference.as_dict(), "verdict": c.verdict}
                      for c in self.curve],
            "cancelled": self.cancelled,
        }


def run_dagger_seeds(config: DaggerSeedsConfig, *, cancel: CancelCheck | None = None
                     ) -> Generator[SeedPoint, None, DaggerSeedsResult]:
    """Run the setting seed after seed, yielding each finished (seed, iteration) `SeedPoint`.

    Returns a `DaggerSeedsResult`. `cancel` is checked inside each run (between iterations and
    inside training) and between seeds; a cancelled job returns the points it finished.
    """
    stop = cancel_check(cancel)
    points: list[SeedPoint] = []
    last_run: DaggerResult | None = None
    for index in range(config.seeds):
        if stop():
            break
        run = config.for_seed(index)

        def tagged(point: DaggerProgress, seed: int = run.seed, index: int = index) -> SeedPoint:
            points.append(SeedPoint(seed=seed, seed_index=index, seeds=config.seeds,
                                    point=point))
            return points[-1]

        last_run = yield from relay(run_dagger(run, cancel=cancel), tagged)
        if last_run.cancelled:
            break
    complete = len(points) == config.seeds * config.run.iterations
    return DaggerSeedsResult(config=config, points=tuple(points), last_run=last_run,
                             cancelled=not complete)
