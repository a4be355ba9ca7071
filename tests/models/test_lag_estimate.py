"""The lag estimate finds a lagged expert's reaction lag in its recording, with either reference."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from clonelab.models.expert_demos import record_expert
from clonelab.models.lag_estimate import LagConfig, LagError, LagProgress, estimate_lag
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain

LAG = 5


@pytest.fixture(scope="module")
def lagged_lander(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """20 LunarLander episodes of the heuristic expert reacting 5 steps late."""
    return record_expert(tmp_path_factory.mktemp("lag") / "lagged", "LunarLander-v3",
                         seeds=range(20), lag=LAG)


def test_the_expert_reference_recovers_the_lag(lagged_lander: DemoDataset) -> None:
    records: list[LagProgress] = []
    estimate = drain(estimate_lag(LagConfig(max_shift=10, reference="auto"), lagged_lander),
                     records.append)
    assert estimate is not None and estimate.reference == "expert"
    assert abs(estimate.best_shift - LAG) <= 1
    assert estimate.shifts == tuple(range(11))
    # The heuristic is deterministic: at the true lag every recorded action is its answer.
    assert estimate.agreement[LAG] == pytest.approx(1.0)
    assert max(np.delete(estimate.agreement, LAG)) < 0.95
    assert [r.done for r in records] == list(range(1, 21))


@pytest.mark.slow
def test_a_quick_clone_per_shift_recovers_the_lag_without_an_expert(
        lagged_lander: DemoDataset) -> None:
    config = LagConfig(max_shift=8, reference="clone", clone_steps=400)
    estimate = drain(estimate_lag(config, lagged_lander))
    assert estimate is not None and estimate.reference == "clone"
    assert abs(estimate.best_shift - LAG) <= 1


def test_cancel_stops_with_no_estimate(lagged_lander: DemoDataset) -> None:
    stop = threading.Event()
    job = estimate_lag(LagConfig(), lagged_lander, cancel=stop)
    next(job)
    stop.set()
    assert drain(job) is None


def test_what_cannot_be_estimated_is_one_line(tmp_path: Path,
                                              lagged_lander: DemoDataset) -> None:
    with pytest.raises(LagError, match="no episode is longer than the largest shift"):
        drain(estimate_lag(LagConfig(max_shift=5000), lagged_lander))
    grid = record_expert(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", seeds=range(1))
    with pytest.raises(LagError, match="reads the game's own state.*reference clone"):
        drain(estimate_lag(LagConfig(max_shift=2, reference="expert"), grid))
    with pytest.raises(ValueError, match="max_shift must be a positive"):
        LagConfig(max_shift=0)
