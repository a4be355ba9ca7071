"""Per-episode weights: read from tags, returns and "weight=W" tags, drawn as rows, refused in
one line when they cannot weigh anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.models.episode_weights import (
    episode_weights,
    epoch_order,
    parse_tag_weights,
    row_weights,
)
from clonelab.models.failures.subsets import TransitionSet
from clonelab.models.training import TrainConfig, TrainingError, train_bc
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from tests.models.scripted_demos import expert_demos

ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """Four short CartPole episodes: two "expert", two "noisy" (a random action half the time)."""
    path = tmp_path_factory.mktemp("weights") / "tagged"
    dataset = expert_demos(path, ENV_ID, seeds=range(2), max_steps=30, tags=("expert",))
    return expert_demos(path, ENV_ID, seeds=range(2, 4), noise=0.5, max_steps=30,
                        tags=("noisy",), dataset=dataset)


def test_tag_weights_parse_and_refuse_in_one_line() -> None:
    assert parse_tag_weights("expert=1, noisy=0.2") == {"expert": 1.0, "noisy": 0.2}
    assert parse_tag_weights("") == {}
    assert parse_tag_weights(" noise=0.5=0 ") == {"noise=0.5": 0.0}  # tags may hold "="
    for text, fragment in [("expert", "tag=weight"), ("a=-1", "0 or more"),
                           ("a=inf", "finite"), ("a=nan", "finite"), ("a=x", "not a number"),
                           ("a=1, a=2", "twice")]:
        with pytest.raises(ValueError, match=fragment) as refused:
            TrainConfig(tag_weights=text)
        assert "\n" not in str(refused.value)
    for bad in (0, -0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="return_temperature"):
            TrainConfig(return_temperature=bad)


def test_tags_returns_and_a_hand_set_weight_make_each_episodes_weight() -> None:
    ids = [0, 1, 2, 3]
    tags = {0: ("expert",), 1: ("noisy", "expert"), 2: (), 3: ("noisy", "weight=0.7")}
    returns = {0: 100.0, 1: 0.0, 2: 100.0, 3: 0.0}
    by_tag = episode_weights(ids, tags, returns, tag_weights={"noisy": 0.2},
                             return_temperature=None)
    # The smallest listed tag's weight, 1 when none is listed; "weight=" overrides.
    assert by_tag == {0: 1.0, 1: 0.2, 2: 1.0, 3: 0.7}
    by_return = episode_weights(ids, tags, returns, tag_weights={},
                                return_temperature=0.5)
    # Returns 100, 0, 100, 0: std 50, so the low episodes weigh exp(-100 / 25).
    assert by_return[0] == by_return[2] == 1.0
    assert by_return[1] == pytest.approx(np.exp(-4.0))
    assert by_return[3] == 0.7
    with pytest.raises(ValueError, match="episode 3's tag"):
        episode_weights(ids, {3: ("weight=-1",)}, returns, tag_weights={},
                        return_temperature=None)


def test_each_epoch_draws_rows_in_proportion_to_their_weight() -> None:
    rows = torch.arange(10, 14)
    weights = torch.tensor([1.0, 0.0, 3.0, 0.0], dtype=torch.float64)
    order = epoch_order(rows, weights, torch.Generator().manual_seed(0))
    assert len(order) == 4
    many = torch.cat([epoch_order(rows, weights, torch.Generator().manual_seed(seed))
                      for seed in range(500)])
    counts = torch.bincount(many - 10, minlength=4).double() / len(many)
    assert counts[1] == counts[3] == 0  # a weight of 0 leaves the rows out
    assert counts[2] == pytest.approx(0.75, abs=0.03)
    again = epoch_order(rows, weights, torch.Generator().manual_seed(0))
    assert torch.equal(order, again)  # seeded
    # Without weights an epoch is the plain seeded permutation training always drew.
    plain = epoch_order(rows, None, torch.Generator().manual_seed(3))
    assert torch.equal(plain, rows[torch.randperm(4, generator=torch.Generator().manual_seed(3))])


def test_row_weights_of_a_dataset_and_of_rows_held_in_memory(tagged: DemoDataset) -> None:
    data = tagged.transitions()
    column, rewards = np.asarray(data.episode_ids), np.asarray(data.rewards)
    train = np.arange(len(column))
    weights = row_weights(tagged, column, rewards, train, tag_weights={"noisy": 0.25},
                          return_temperature=None)
    assert weights is not None
    assert set(weights[column < 2].tolist()) == {1.0}
    assert set(weights[column >= 2].tolist()) == {0.25}
    # Equal weights everywhere: None, so training keeps its unweighted permutation.
    assert row_weights(tagged, column, rewards, train, tag_weights={"expert": 0.5,
                                                                     "noisy": 0.5},
                       return_temperature=None) is None
    # Rows in memory have no tags; their returns are their rewards' sums.
    memory = TransitionSet.from_dataset(tagged)
    assert row_weights(memory, column, rewards, train, tag_weights={"noisy": 0.25},
                       return_temperature=None) is None
    rewards = np.where(column == 3, 0.0, rewards)  # episode 3 scored nothing
    memory = TransitionSet(env_id=ENV_ID, observation_space=tagged.observation_space,
                           action_space=tagged.action_space, observations=data.observations,
                           actions=data.actions, episode_ids=column, rewards=rewards)
    by_return = row_weights(memory, column, rewards, train, tag_weights={},
                            return_temperature=0.5)
    assert by_return is not None
    assert set(by_return[column < 3].tolist()) == {1.0}
    assert 0 < float(by_return[column == 3][0]) < 0.01


def test_training_refuses_episodes_that_all_weigh_zero_in_one_line(
        tagged: DemoDataset, tmp_path: Path) -> None:
    config = TrainConfig(steps=5, hidden=(8,), device="cpu", tag_weights="expert=0, noisy=0")
    with pytest.raises(TrainingError, match="weighs 0") as refused:
        drain(train_bc(config, tagged))
    assert "\n" not in str(refused.value)
    # A hand-set weight that is not a number, typed as a tag when the episode was kept.
    typo = expert_demos(tmp_path / "typo", ENV_ID, seeds=range(2), max_steps=20,
                        tags=("expert", "weight=oops"))
    with pytest.raises(TrainingError, match="episode 0's tag: 'oops' is not a number"):
        drain(train_bc(TrainConfig(steps=5, hidden=(8,), device="cpu"), typo))
    # A weight of 0 on some episodes leaves them out; the rest train.
    config = TrainConfig(steps=5, hidden=(8,), device="cpu", tag_weights="noisy=0")
    assert drain(train_bc(config, tagged)).metrics.step == 5
