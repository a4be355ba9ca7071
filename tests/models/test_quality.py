"""Mixed quality: the best half by return, and the three clones (all, best half, weighted)
trained with one config and evaluated on the same starts."""

from __future__ import annotations

import threading

import pytest

from clonelab.models.failures.quality import (
    ARMS,
    QualityComparison,
    QualityConfig,
    best_half,
    compare_quality,
)
from clonelab.models.training import TrainConfig
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from tests.models.scripted_demos import expert_demos

ENV_ID = "CartPole-v1"
TINY = QualityConfig(train=TrainConfig(steps=20, hidden=(8,), log_every=10, device="cpu",
                                       select_by="eval_return", select_episodes=1),
                     tag_weights="noisy=0.1", eval_episodes=1)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """Two expert CartPole episodes and three of a mostly random one, 60 steps at most."""
    path = tmp_path_factory.mktemp("quality") / "mixed"
    dataset = expert_demos(path, ENV_ID, seeds=range(2), max_steps=60, tags=("expert",))
    return expert_demos(path, ENV_ID, seeds=range(2, 5), noise=0.9, max_steps=60,
                        tags=("noisy",), dataset=dataset)


def test_the_best_half_holds_the_highest_returns(mixed: DemoDataset) -> None:
    returns = {i: mixed.episode_info(i).episode_return for i in mixed.episode_ids}
    half = best_half(mixed)
    assert len(half) == 3  # the larger half of 5
    assert min(returns[i] for i in half) >= max(returns[i] for i in returns if i not in half)
    assert {0, 1} <= set(half)  # the experts' full 60 steps


def test_three_clones_with_curves_and_the_same_evaluation(mixed: DemoDataset) -> None:
    records = []
    job = compare_quality(TINY, mixed)
    result: QualityComparison = drain(job, records.append)
    assert [arm.label for arm in result.arms] == list(ARMS) and not result.cancelled
    assert result.arms[0].episode_ids == result.arms[2].episode_ids == mixed.episode_ids
    assert result.arms[1].episode_ids == best_half(mixed)
    for arm in result.arms:
        assert arm.curve_steps == (10, 20) and len(arm.curve_returns) == 2
        assert len(arm.clone_returns) == 1
    assert [r.arm for r in records] == [0, 0, 1, 1, 2, 2]
    assert records[-1].fraction == pytest.approx(1.0)
    assert result.best_half_return_mean > result.demo_return_mean


def test_cancel_keeps_the_clones_done_and_bad_weights_are_refused(mixed: DemoDataset) -> None:
    stop = threading.Event()
    job = compare_quality(TINY, mixed, cancel=stop)

    def on_record(record) -> None:
        if record.arm == 1:
            stop.set()

    result = drain(job, on_record)
    assert result.cancelled and [arm.label for arm in result.arms] == ["all"]
    with pytest.raises(ValueError, match="QualityConfig: tag weights"):
        QualityConfig(tag_weights="noisy")
