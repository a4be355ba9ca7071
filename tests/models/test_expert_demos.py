"""Scripted-expert demos: one episode per seed, repeatable, cut where asked, into a dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clonelab.models.expert_demos import ExpertConfig, expert_episodes, record_expert
from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import ExpertError, make_expert


def test_the_same_seed_plays_the_same_episode() -> None:
    first, second, other = expert_episodes("CartPole-v1", [3, 3, 4], noise=0.3, max_steps=40)
    assert first.seed == second.seed == 3 and other.seed == 4
    np.testing.assert_array_equal(first.actions, second.actions)
    np.testing.assert_array_equal(first.observations, second.observations)
    assert not np.array_equal(first.observations, other.observations)
    assert first.steps == 40 and first.truncations[-1] and not first.terminations[-1]
    assert set(first.actors) == {"expert"} and set(first.devices) == {"script"}


def test_record_expert_writes_one_tagged_episode_per_seed(tmp_path: Path) -> None:
    dataset = record_expert(tmp_path / "demos", "CartPole-v1", seeds=(0, 1), max_steps=25,
                            tags=iter(["expert", "short"]), operator="tester")
    assert len(dataset) == 2 and dataset.env_id == "CartPole-v1"
    infos = [dataset.episode_info(episode_id) for episode_id in dataset.episode_ids]
    assert [info.steps for info in infos] == [25, 25]
    assert all(set(info.tags) == {"expert", "short"} for info in infos)
    assert all(info.operator == "tester" and info.actor_steps == {"expert": 25} for info in infos)


def test_an_env_without_an_expert_is_refused_before_any_dataset(tmp_path: Path) -> None:
    with pytest.raises(ExpertError, match="no scripted expert"):
        record_expert(tmp_path / "walker", "BipedalWalker-v3", seeds=(0,))
    assert not (tmp_path / "walker").exists()


def test_clean_labels_record_the_experts_choice_where_noise_played_another() -> None:
    played, = expert_episodes("CartPole-v1", [5], noise=0.4, max_steps=60)
    clean, = expert_episodes("CartPole-v1", [5], noise=0.4, clean_labels=True, max_steps=60)
    # The same seed plays the same noisy episode; only what is recorded as the action differs.
    np.testing.assert_array_equal(clean.observations, played.observations)
    expert = make_expert(make_env("CartPole-v1"))
    choices = np.array([expert.policy(o) for o in clean.observations[:-1]])
    np.testing.assert_array_equal(clean.actions, choices)
    slips = played.actions != choices
    assert 5 < slips.sum() < 40  # about 0.4 x 1/2 of the steps played against the expert
    np.testing.assert_array_equal(played.actions[~slips], clean.actions[~slips])


def test_clean_labelled_demos_are_tagged() -> None:
    config = ExpertConfig(episodes=1, noise=0.2, clean_labels=True)
    assert config.tags == ("expert", "noise=0.2", "clean-labels")
    assert ExpertConfig(episodes=1, clean_labels=True).tags == ("expert", "noise=0")
