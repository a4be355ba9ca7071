"""Scripted-expert demos: one episode per seed, repeatable, cut where asked, into a dataset."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from clonelab.models.expert_demos import ExpertConfig, expert_episodes, record_expert
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.twin_run import close_run, demo_and_clone
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset_chunks import stored_episode
from clonelab.recorder.experts import ExpertError, make_expert
from clonelab.recorder.replay import check_episode


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
    np.testing.assert_array_equal(clean.played_actions, played.actions)
    assert played.played_actions is None  # played as recorded: nothing else to keep


def test_clean_labelled_demos_replay_from_the_dataset(tmp_path: Path) -> None:
    # The labels alone would step the env off the recorded path at the first slip; the
    # played actions, kept beside them, reproduce it (Compare's left pane, the Datasets player).
    dataset = record_expert(tmp_path / "demos", "CartPole-v1", seeds=(5,), noise=0.4,
                            clean_labels=True, max_steps=60)
    episode_id, = dataset.episode_ids
    stored = dataset.load_episode(episode_id)
    assert stored.played_actions is not None
    assert not np.array_equal(stored.played_actions, stored.actions)
    env = make_env("CartPole-v1", render_mode="rgb_array")
    try:
        assert check_episode(env, stored).first_mismatch is None
        labels_only = replace(stored, played_actions=None)
        assert check_episode(env, labels_only).first_mismatch is not None
    finally:
        env.close()
    policy = Policy(PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                               action_space=env.action_space, hidden=(8,)))
    run = demo_and_clone("CartPole-v1", stored_episode(dataset, episode_id), policy)
    try:
        while run.step():
            pass
        assert run.left.first_mismatch is None and run.step_count == 60
    finally:
        close_run(run)


def test_clean_labelled_demos_are_tagged() -> None:
    config = ExpertConfig(episodes=1, noise=0.2, clean_labels=True)
    assert config.tags == ("expert", "noise=0.2", "clean-labels")
    assert ExpertConfig(episodes=1, clean_labels=True).tags == ("expert", "noise=0")
