"""Compounding error and accuracy on demo states vs on the clone's own states."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from clonelab.models.failures.diagnostics import (
    DiagnosticsConfig,
    action_agreement,
    compounding_error,
    diagnose,
)
from clonelab.models.failures.subsets import TransitionSet
from clonelab.models.policy import Policy
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from tests.models.scripted_demos import expert_demos

ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """Three 200-step CartPole expert demos."""
    return expert_demos(tmp_path_factory.mktemp("diag") / "demos", ENV_ID, seeds=range(3),
                        max_steps=200)


def _clone(data: TransitionSet, steps: int) -> Policy:
    config = TrainConfig(steps=steps, hidden=(32, 32), seed=0, device="cpu", log_every=steps)
    return drain(train_bc(config, data)).policy


@pytest.fixture(scope="module")
def good_clone(demos: DemoDataset) -> Policy:
    return _clone(TransitionSet.from_dataset(demos), 1500)


@pytest.fixture(scope="module")
def poor_clone(demos: DemoDataset) -> Policy:
    """Trained on the first 15 steps of one demo: it has seen the pole fall one way only."""
    rows = TransitionSet.from_dataset(demos, [demos.episode_ids[0]])
    return _clone(rows.take(np.arange(15)), 100)


def test_compounding_error_starts_at_zero_and_grows_for_a_poor_clone(
    demos: DemoDataset, good_clone: Policy, poor_clone: Policy
) -> None:
    poor = compounding_error(poor_clone, demos)
    good = compounding_error(good_clone, demos)
    for curve in (poor, good):
        assert curve.mean[0] == 0.0  # same reset seed: the same first state
        assert curve.steps.shape == curve.mean.shape == curve.std.shape
        assert len(curve.per_episode) == len(demos) == len(curve.clone_returns)
        assert curve.demo_returns == (200.0, 200.0, 200.0)
    assert np.mean(poor.clone_returns) < 150  # it falls, and its gap is held from then on
    assert good.clone_returns == (200.0, 200.0, 200.0)  # cut where the demos were cut
    quarter = len(poor.mean) // 4
    assert poor.mean[-quarter:].mean() > 3 * poor.mean[1:quarter].mean()
    assert poor.mean[-quarter:].mean() > good.mean[-quarter:].mean()


def test_compounding_error_needs_replayable_starts(demos: DemoDataset, good_clone: Policy,
                                                   tmp_path: Path) -> None:
    copy = DemoDataset.create(tmp_path / "unseeded", env_id=ENV_ID,
                              observation_space=demos.observation_space,
                              action_space=demos.action_space)
    episode = demos.load_episode(demos.episode_ids[0])
    copy.append(dataclasses.replace(episode, seed=None))
    with pytest.raises(ValueError, match="no reset seed"):
        compounding_error(good_clone, copy)


def test_poor_clone_agrees_less_with_the_expert_on_its_own_states(
    demos: DemoDataset, good_clone: Policy, poor_clone: Policy
) -> None:
    poor = action_agreement(poor_clone, demos, episodes=3)
    good = action_agreement(good_clone, demos, episodes=3)
    assert poor.demo_steps == good.demo_steps == demos.total_steps
    assert good.demo_accuracy > 0.9 and good.onpolicy_agreement > 0.8
    assert good.onpolicy_agreement < good.demo_accuracy  # what it meets vs what it saw
    assert poor.onpolicy_agreement < poor.demo_accuracy
    assert poor.onpolicy_agreement < good.onpolicy_agreement - 0.1
    assert poor.onpolicy_steps == sum(poor.clone_returns)  # CartPole pays 1 a step


def test_diagnose_measures_the_first_demos_and_the_agreement_as_one_job(
    demos: DemoDataset, good_clone: Policy
) -> None:
    config = DiagnosticsConfig(demo_episodes=2, rollouts=1)
    stages: list = []
    result = drain(diagnose(config, good_clone, demos), stages.append)
    assert result is not None and result.agreement is not None
    assert result.error.episode_ids == tuple(demos.episode_ids)[:2]
    np.testing.assert_allclose(result.error.mean,
                               compounding_error(good_clone, demos, episode_ids=(0, 1)).mean)
    assert result.agreement.clone_returns == action_agreement(
        good_clone, demos, episodes=1, episode_ids=(0, 1)).clone_returns
    assert [stage.text.split()[0] for stage in stages] == ["Replaying", "Playing"]
    assert drain(diagnose(config, good_clone, demos, cancel=lambda: True)) is None


def test_diagnostics_config_refuses_what_cannot_run() -> None:
    with pytest.raises(ValueError, match="demo_episodes must be a positive"):
        DiagnosticsConfig(demo_episodes=0)
    with pytest.raises(ValueError, match="tolerance must be 0 or more"):
        DiagnosticsConfig(tolerance=-0.1)
