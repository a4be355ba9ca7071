"""Training data: the seeded episode split, the single-episode tail split, refused data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clonelab.models.data import (
    TrainingError,
    distinct_ids,
    load_checked,
    observation_stats,
    split_rows,
)
from tests.models.fakes import FakeDataset, FakeEpisode


def test_validation_holds_out_whole_episodes() -> None:
    episode_ids = np.repeat(np.arange(10), 7)
    split = split_rows(episode_ids, 0.2, seed=3)
    assert len(split.val_episodes) == 2 and len(split.train_episodes) == 8
    assert set(split.val_episodes).isdisjoint(split.train_episodes)
    assert set(episode_ids[split.val_rows]) == set(split.val_episodes)
    assert set(episode_ids[split.train_rows]) == set(split.train_episodes)
    assert len(split.train_rows) + len(split.val_rows) == len(episode_ids)


def test_the_split_is_seeded() -> None:
    episode_ids = np.repeat(np.arange(20), 3)
    first, again = split_rows(episode_ids, 0.25, seed=1), split_rows(episode_ids, 0.25, seed=1)
    assert first.val_episodes == again.val_episodes
    assert np.array_equal(first.val_rows, again.val_rows)
    chosen = {split_rows(episode_ids, 0.25, seed=s).val_episodes for s in range(5)}
    assert len(chosen) > 1


def test_one_episode_holds_out_its_tail() -> None:
    split = split_rows(np.zeros(50, dtype=np.int64), 0.1, seed=0)
    assert split.val_rows.tolist() == list(range(45, 50))
    assert split.train_rows.tolist() == list(range(45))


def test_too_few_episodes_to_spare_one_hold_out_every_episodes_tail() -> None:
    # Two demos at 0.1: a whole held-out episode would take half the data, not a tenth.
    split = split_rows(np.repeat(np.array([3, 7]), 20), 0.1, seed=0, tails_when_few=True)
    assert split.val_rows.tolist() == [18, 19, 38, 39]
    assert len(split.train_rows) == 36
    assert split.train_episodes == split.val_episodes == (3, 7)
    whole = split_rows(np.repeat(np.array([3, 7]), 20), 0.1, seed=0)  # the OOD calibrations' way
    assert len(whole.val_episodes) == 1 and len(whole.val_rows) == 20


def test_at_least_one_episode_is_kept_for_training() -> None:
    split = split_rows(np.array([0, 0, 1, 1]), 0.9, seed=0)
    assert len(split.train_episodes) == 1 and len(split.val_episodes) == 1


def test_zero_val_fraction_turns_validation_off() -> None:
    split = split_rows(np.repeat(np.arange(4), 2), 0.0, seed=0)
    assert len(split.val_rows) == 0 and len(split.train_rows) == 8


def test_observation_stats_are_per_feature() -> None:
    mean, std = observation_stats(np.array([[0.0, 10.0], [2.0, 10.0]], dtype=np.float32))
    assert mean.tolist() == [1.0, 10.0] and std.tolist() == [1.0, 0.0]


def test_observation_stats_are_numpys_to_float64_rounding() -> None:
    rng = np.random.default_rng(0)
    observations = (rng.normal(size=(5000, 2, 3)) * [1e-3, 1.0, 1e3]
                    + [0.0, -5.0, 1e4]).astype(np.float32)
    flat = observations.reshape(len(observations), -1).astype(np.float64)
    mean, std = observation_stats(observations)
    assert mean.dtype == std.dtype == np.float64 and mean.shape == std.shape == (6,)
    np.testing.assert_allclose(mean, flat.mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(std, flat.std(axis=0), rtol=1e-12)
    # The policy keeps them as float32: the same values there.
    assert np.array_equal(mean.astype(np.float32), flat.mean(axis=0).astype(np.float32))
    assert np.array_equal(std.astype(np.float32), flat.std(axis=0).astype(np.float32))


def test_distinct_ids_are_np_unique_in_any_order() -> None:
    rng = np.random.default_rng(1)
    columns = [np.zeros(0, np.int64), np.array([7]), np.repeat([4, 2, 9], [3, 1, 5]),
               rng.integers(0, 6, 200), np.repeat(np.arange(100), 500)]
    for column in columns:
        assert np.array_equal(distinct_ids(column), np.unique(column))
        assert distinct_ids(column).dtype == column.dtype


def _with_nan(dataset: FakeDataset, field: str, episode: int, step: int) -> FakeDataset:
    episodes = list(dataset.episodes)
    values = getattr(episodes[episode], field).astype(np.float64)
    values[step] = np.nan
    episodes[episode] = dataclasses.replace(episodes[episode], **{field: values})
    return FakeDataset(dataset.env_id, dataset.observation_space, dataset.action_space, episodes)


@pytest.mark.parametrize("field", ["observations", "actions"])
def test_non_finite_data_is_refused_naming_the_episode(
    pendulum_demos: FakeDataset, field: str
) -> None:
    broken = _with_nan(pendulum_demos, field, episode=1, step=7)
    with pytest.raises(TrainingError, match=f"{field} contain NaN.*episode 1, step 7"):
        load_checked(broken)


def test_empty_dataset_is_refused(cartpole_demos: FakeDataset) -> None:
    empty = FakeDataset("CartPole-v1", cartpole_demos.observation_space,
                        cartpole_demos.action_space,
                        [FakeEpisode(np.zeros((1, 4), np.float32), np.zeros(0, np.int64),
                                     np.zeros(0))])
    with pytest.raises(TrainingError, match="no steps; record some episodes"):
        load_checked(empty)


def test_observations_must_match_the_space(cartpole_demos: FakeDataset) -> None:
    episode = cartpole_demos.episodes[0]
    wrong = FakeDataset("CartPole-v1", cartpole_demos.observation_space,
                        cartpole_demos.action_space,
                        [dataclasses.replace(episode, observations=episode.observations[:, :3])])
    with pytest.raises(TrainingError, match="shape"):
        load_checked(wrong)
