"""Action balance: training rows drawn against the actions' imbalance, times episode weights;
refused in one line where it cannot apply."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models import train_data
from clonelab.models.action_balance import action_balance_weights
from clonelab.models.data import TrainingError
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode
from tests.models.scripted_demos import expert_demos

VECTORS = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
_NEXT_BATCH = train_data._PermutedRows.next_batch


def test_weights_follow_the_share_of_each_action_to_the_power_asked() -> None:
    actions = np.array([0] * 75 + [2] * 20 + [3] * 5)
    full = action_balance_weights(actions, 1.0)
    assert full is not None and float(full.mean()) == pytest.approx(1.0)
    totals = {a: float(full[actions == a].sum()) for a in (0, 2, 3)}
    assert totals[0] == pytest.approx(totals[2]) == pytest.approx(totals[3])  # equally often
    root = action_balance_weights(actions, 0.5)
    assert root is not None
    assert float(root[actions == 3][0] / root[actions == 0][0]) == pytest.approx((75 / 5) ** 0.5)
    assert action_balance_weights(actions, 0.0) is None
    assert action_balance_weights(np.zeros(10, np.int64), 1.0) is None  # one action: no change
    box_actions = np.random.default_rng(0).normal(size=(10, 2))
    assert action_balance_weights(box_actions, 0.0) is None  # off: Box actions pass untouched


def _demos(shares: dict[int, int], episodes: int = 4) -> FakeDataset:
    rng = np.random.default_rng(0)
    labels = np.concatenate([np.full(n, a) for a, n in shares.items()])
    made = []
    for _ in range(episodes):
        actions = rng.permutation(labels)
        made.append(FakeEpisode(rng.normal(size=(len(actions) + 1, 3)).astype(np.float32),
                                actions, np.zeros(len(actions))))
    return FakeDataset("Fake-v0", VECTORS, gym.spaces.Discrete(3), made)


def _drawn_actions(monkeypatch: pytest.MonkeyPatch, config: TrainConfig,
                   demos: FakeDataset) -> Counter[int]:
    drawn: Counter[int] = Counter()

    def counting(rows: train_data._PermutedRows) -> train_data.Batch:
        inputs, targets, n = _NEXT_BATCH(rows)
        drawn.update(targets.tolist())
        return inputs, targets, n

    monkeypatch.setattr(train_data._PermutedRows, "next_batch", counting)
    drain(train_bc(config, demos))
    return drawn


def test_training_draws_each_action_about_equally_often_at_full_balance(
        monkeypatch: pytest.MonkeyPatch) -> None:
    demos = _demos({0: 180, 1: 15, 2: 5})
    config = TrainConfig(steps=60, log_every=30, batch_size=64, hidden=(8,), device="cpu",
                         val_fraction=0.0, seed=0)
    as_recorded = _drawn_actions(monkeypatch, config, demos)
    balanced = _drawn_actions(monkeypatch, TrainConfig(**{**config.__dict__,
                                                          "action_balance": 1.0}), demos)
    assert as_recorded[0] / sum(as_recorded.values()) == pytest.approx(0.9, abs=0.02)
    shares = [balanced[a] / sum(balanced.values()) for a in range(3)]
    assert shares == pytest.approx([1 / 3] * 3, abs=0.03)


def test_action_balance_multiplies_episode_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    demos = _demos({0: 90, 1: 10})
    weights = torch.tensor([1.0, 2.0])

    def episode_weighted(dataset: object, column: np.ndarray, rewards: np.ndarray,
                         rows: np.ndarray, **_: object) -> torch.Tensor:
        return weights[torch.as_tensor(column[rows] % 2)].double()

    monkeypatch.setattr(train_data, "row_weights", episode_weighted)
    config = TrainConfig(val_fraction=0.0, action_balance=1.0)
    inputs = train_data.Inputs(np.zeros((400, 3), np.float32),
                               np.concatenate([e.actions for e in demos.episodes]),
                               np.zeros(400), np.repeat(np.arange(4), 100))
    rows = np.arange(400)
    combined = train_data._row_weights(config, demos, inputs, rows)
    balance = action_balance_weights(inputs.actions, 1.0)
    assert combined is not None and balance is not None
    expected = balance * weights[torch.as_tensor(inputs.episode_ids % 2)].double()
    assert torch.allclose(combined, expected)


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), "half", True])
def test_a_balance_outside_zero_to_one_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="action_balance must lie in"):
        TrainConfig(action_balance=value)  # type: ignore[arg-type]


def test_continuous_actions_and_streamed_runs_refuse_it_in_one_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    episode = FakeEpisode(rng.normal(size=(41, 3)).astype(np.float32),
                          rng.normal(size=(40, 1)).astype(np.float32), np.zeros(40))
    boxes = FakeDataset("Fake-v0", VECTORS, gym.spaces.Box(-1, 1, (1,), np.float32),
                        [episode, episode])
    with pytest.raises(TrainingError, match="action_balance weighs discrete actions"):
        drain(train_bc(TrainConfig(steps=2, action_balance=0.5, device="cpu"), boxes))
    recorded = expert_demos(tmp_path / "demos", "CartPole-v1", seeds=range(2), max_steps=20)
    with pytest.raises(TrainingError, match="action balance need the rows in memory"):
        drain(train_bc(TrainConfig(steps=2, action_balance=0.5, stream=True, device="cpu"),
                       recorded))
