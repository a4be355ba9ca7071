"""Subsets of imperfect demos: grouping episodes, cloning each subset, and the rows behind it."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest

from clonelab.models.failures.subsets import (
    SubsetsConfig,
    TransitionSet,
    compare_subsets,
    group_episodes,
)
from clonelab.models.training import TrainConfig
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from tests.models.scripted_demos import expert_demos

ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """CartPole demos of a clean expert (seeds 0-2) and of a mostly random one (seeds 3-5),
    tagged as the CLI's `expert` command tags them."""
    path = tmp_path_factory.mktemp("subsets") / "mixed"
    dataset = expert_demos(path, ENV_ID, seeds=range(3), max_steps=200,
                           tags=("expert", "noise=0"))
    return expert_demos(path, ENV_ID, seeds=range(3, 6), noise=0.8, max_steps=200,
                        tags=("expert", "noise=0.8"), dataset=dataset)


def test_group_by_noise_tag_and_return(mixed: DemoDataset) -> None:
    by_noise = group_episodes(mixed, "noise")
    assert by_noise == {"noise=0": (0, 1, 2), "noise=0.8": (3, 4, 5)}
    assert group_episodes(mixed, "tag") == {"expert": (0, 1, 2, 3, 4, 5), **by_noise}
    by_return = group_episodes(mixed, "return", bins=2)
    assert list(by_return.values()) == [(3, 4, 5), (0, 1, 2)]  # low returns first
    assert list(by_return)[1] == "return 200..200"
    assert group_episodes(mixed, "operator") == {"script": (0, 1, 2, 3, 4, 5)}
    with pytest.raises(ValueError, match="group episodes by"):
        group_episodes(mixed, "colour")


def test_group_by_operator_reads_each_episode(mixed: DemoDataset) -> None:
    class Renamed:
        """The mixed dataset with the noisy episodes recorded by another operator."""

        episode_ids = mixed.episode_ids

        @staticmethod
        def episode_info(episode_id: int):
            info = mixed.episode_info(episode_id)
            return dataclasses.replace(info, operator="" if episode_id >= 3 else "ada")

    assert group_episodes(Renamed(), "operator") == {"ada": (0, 1, 2), "unknown": (3, 4, 5)}


def test_clones_of_clean_demos_beat_clones_of_noisy_ones(mixed: DemoDataset) -> None:
    config = TrainConfig(steps=300, hidden=(32, 32), seed=0, device="cpu", log_every=100)
    records = []
    comparison = drain(compare_subsets(
        SubsetsConfig(group_by="noise", train=config, eval_episodes=5), mixed),
        records.append)
    assert comparison.labels == ["noise=0", "noise=0.8"]
    assert [(r.subset, r.label) for r in records if r.train.step == 300] == [
        (0, "noise=0"), (1, "noise=0.8")]
    clean, noisy = comparison.outcomes
    assert clean.steps == 600 and clean.demo_return_mean == 200.0
    assert noisy.demo_return_mean < 100
    assert len(clean.clone_returns) == 5
    assert comparison.clone_means[0] > comparison.clone_means[1] + 50
    np.testing.assert_allclose(comparison.demo_means, [200.0, noisy.demo_return_mean])
    assert comparison.clone_stds.shape == (2,) and not comparison.cancelled


def test_cancel_keeps_the_subsets_done(mixed: DemoDataset) -> None:
    config = TrainConfig(steps=50, hidden=(8,), device="cpu", log_every=10)
    records: list = []
    second_started = lambda: any(r.subset == 1 for r in records)  # noqa: E731
    config = SubsetsConfig(train=config, eval_episodes=1)
    comparison = drain(compare_subsets(
        config, mixed, group_episodes(mixed, "noise"), cancel=second_started), records.append)
    assert comparison.cancelled and comparison.labels == ["noise=0"]
    stopped = threading.Event()
    stopped.set()
    assert drain(compare_subsets(config, mixed, {"all": mixed.episode_ids},
                                 cancel=stopped)).outcomes == ()
    with pytest.raises(ValueError, match="no subset"):
        drain(compare_subsets(config, mixed, {"empty": ()}))


def test_transition_set_rows(tmp_path: Path, mixed: DemoDataset) -> None:
    rows = TransitionSet.from_dataset(mixed, [1, 4])
    assert rows.episode_ids == (1, 4) and len(rows) == mixed.transitions([1, 4]).actions.size
    grown = rows.with_rows(np.zeros((3, 4)), np.array([1, 0, 1]), episode_id=rows.next_episode_id())
    assert grown.episode_ids == (1, 4, 5) and len(grown) == len(rows) + 3
    assert len(rows) == len(rows.transitions().actions)  # the original is untouched
    np.testing.assert_array_equal(grown.transitions([5]).actions, [1, 0, 1])
    assert grown.fingerprint() != rows.fingerprint()
    doubled = rows.take([0, 0, 1])
    np.testing.assert_array_equal(doubled.observations[0], doubled.observations[1])
    empty = TransitionSet.empty(ENV_ID, mixed.observation_space, mixed.action_space)
    assert len(empty) == 0 and empty.next_episode_id() == 0
    with pytest.raises(ValueError, match="as many observations"):
        TransitionSet(env_id=ENV_ID, observation_space=mixed.observation_space,
                      action_space=mixed.action_space, observations=np.zeros((2, 4)),
                      actions=np.zeros(3), episode_ids=np.zeros(3))


def test_subsets_config_refuses_what_cannot_run() -> None:
    with pytest.raises(ValueError, match="group_by must be one of"):
        SubsetsConfig(group_by="colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="eval_episodes must be a positive"):
        SubsetsConfig(eval_episodes=0)
    with pytest.raises(ValueError, match="bins must be a positive"):
        SubsetsConfig(bins=0)
