"""OOD scores: distance to the demos and ensemble disagreement, calibrated on held-out demos."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.agent import PolicyAgent
from clonelab.models.failures import ood
from clonelab.models.failures.ensemble import Ensemble, EnsembleConfig, train_ensemble
from clonelab.models.failures.ood import NearestNeighbourScorer, StateScale, calibrate, fit_ood
from clonelab.models.failures.subsets import TransitionSet
from clonelab.models.failures.takeover import Solo, play_episode
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.jobs import drain
from clonelab.recorder.session import PlaySession
from tests.models.scripted_demos import expert_demos

ENV_ID = "Pendulum-v1"
CAP = 100  # steps per demo: twenty short episodes calibrate better than five long ones


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> TransitionSet:
    """Twenty 100-step Pendulum expert demos (random starts, so episodes are exchangeable)."""
    dataset = expert_demos(tmp_path_factory.mktemp("ood") / "demos", ENV_ID, seeds=range(20),
                           max_steps=CAP)
    return TransitionSet.from_dataset(dataset)


@pytest.fixture(scope="module")
def fresh_demo_states(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """States of ten more demos from starts the scorers never saw."""
    dataset = expert_demos(tmp_path_factory.mktemp("ood") / "fresh", ENV_ID,
                           seeds=range(1000, 1010), max_steps=CAP)
    return TransitionSet.from_dataset(dataset).observations


@pytest.fixture(scope="module")
def failing_clone_states(demos: TransitionSet) -> np.ndarray:
    """States a BC clone of two demos visits: it cannot swing up and spins instead."""
    few = demos.take(np.flatnonzero(demos.episode_column < 2))
    policy = drain(train_bc(TrainConfig(steps=200, hidden=(32, 32), seed=0,
                                                    device="cpu", log_every=200), few)).policy
    env = make_env(ENV_ID)
    session = PlaySession(env, env_id=ENV_ID)
    played = [play_episode(session, Solo(PolicyAgent(policy)), seed=500 + i, max_steps=CAP)
              for i in range(5)]
    env.close()
    returns = [episode.episode.episode_return for episode in played]
    demo_return = demos.rewards.sum() / len(demos.episode_ids)
    assert np.mean(returns) < demo_return - 100, "the clone was meant to fail"
    return np.concatenate([episode.episode.observations for episode in played])


def test_calibration_puts_about_95_percent_of_new_demo_states_below_1(
    demos: TransitionSet, fresh_demo_states: np.ndarray
) -> None:
    score = fit_ood(demos.transitions(), quantile=0.95, seed=0)
    below = float(np.mean(score(fresh_demo_states) < 1.0))
    assert 0.88 <= below <= 1.0
    loose = fit_ood(demos.transitions(), quantile=0.5, seed=0)  # the quantile sets the share
    assert float(np.mean(loose(fresh_demo_states) < 1.0)) < below - 0.2


def test_failing_clone_states_score_higher_than_demo_states(
    demos: TransitionSet, fresh_demo_states: np.ndarray, failing_clone_states: np.ndarray
) -> None:
    score = fit_ood(demos.transitions(), seed=0)
    clone, demo = score(failing_clone_states), score(fresh_demo_states)
    assert np.mean(clone > 1.0) > 0.25 and np.mean(demo > 1.0) < 0.1
    assert np.median(clone) > 10 * np.median(demo)


def test_nearest_neighbour_matches_brute_force_across_chunks(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.1]
    queries = rng.normal(size=(23, 3))
    monkeypatch.setattr(ood, "QUERY_CHUNK", 7)
    monkeypatch.setattr(ood, "REFERENCE_CHUNK", 8)
    scorer = NearestNeighbourScorer(reference, k=3)
    scale = StateScale.fit(reference)
    normalised = lambda rows: (rows - scale.mean) / scale.std  # noqa: E731
    gaps = np.linalg.norm(normalised(queries)[:, None] - normalised(reference)[None], axis=-1)
    expected = np.sort(gaps, axis=1)[:, 2] / np.sqrt(3)
    np.testing.assert_allclose(scorer.raw_scores(queries), expected, rtol=1e-5)


def test_reference_is_sampled_beyond_the_cap_and_images_scale_by_255(monkeypatch) -> None:
    monkeypatch.setattr(ood, "MAX_REFERENCE", 10)
    images = np.random.default_rng(1).integers(0, 256, size=(40, 4, 4, 3), dtype=np.uint8)
    scorer = NearestNeighbourScorer(images, seed=3)
    assert scorer.raw_scores(images[:5]).shape == (5,)
    assert len(scorer._reference) == 10
    np.testing.assert_array_equal(scorer.scale.std, 255.0)  # no blow-up of constant pixels


def test_calibration_refuses_bad_input() -> None:
    scorer = NearestNeighbourScorer(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="quantile"):
        calibrate(scorer, np.ones((3, 2)), quantile=1.0)
    with pytest.raises(ValueError, match="no held-out"):
        calibrate(scorer, np.ones((0, 2)))
    with pytest.raises(ValueError, match="k=3"):
        NearestNeighbourScorer(np.zeros((2, 2)), k=3)
    identical = calibrate(scorer, np.zeros((3, 2)))  # zero distances: a floor, not a NaN
    assert np.isfinite(identical(np.ones((1, 2)))).all()


@pytest.fixture(scope="module")
def ensemble_result(demos: TransitionSet):
    config = EnsembleConfig(members=3, train=TrainConfig(steps=300, hidden=(32, 32), seed=0,
                                                         device="cpu", log_every=100))
    records = []
    training = train_ensemble(config, demos)
    while True:
        try:
            records.append(next(training))
        except StopIteration as stop:
            return stop.value, records


def test_ensemble_trains_every_member_and_calibrates_its_disagreement(
    ensemble_result, fresh_demo_states: np.ndarray, failing_clone_states: np.ndarray
) -> None:
    result, records = ensemble_result
    assert [r.member for r in records if r.train.step == r.train.total_steps] == [0, 1, 2]
    assert not result.cancelled and len(result.ensemble.members) == 3
    weights = [m.torso.layers[0].weight for m in result.ensemble.members]
    assert not np.allclose(weights[0].detach(), weights[1].detach())  # own seeds
    disagreement = result.disagreement
    assert np.mean(disagreement(fresh_demo_states) < 1.0) > 0.85
    assert np.median(disagreement(failing_clone_states)) > np.median(
        disagreement(fresh_demo_states))


def test_ensemble_acts_as_an_action_source(ensemble_result, demos: TransitionSet) -> None:
    ensemble = ensemble_result[0].ensemble
    action = ensemble.act(demos.observations[0])
    space = demos.action_space
    assert action.shape == space.shape and space.contains(action)
    mean_mu = np.mean([PolicyAgent(m).act(demos.observations[0]) for m in ensemble.members],
                      axis=0)
    np.testing.assert_allclose(action, np.clip(mean_mu, space.low, space.high), atol=1e-5)


def test_discrete_disagreement_is_mean_pairwise_total_variation() -> None:
    env = gym.make("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(4,))
    members = []
    for seed in range(3):
        torch.manual_seed(seed)
        members.append(Policy(spec))
    ensemble = Ensemble(members)
    states = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    with torch.no_grad():
        probabilities = np.stack([m.action_probabilities(m.as_tensor(states)).numpy()
                                  for m in members])  # (K, B, n)
    pairs = [0.5 * np.abs(probabilities[i] - probabilities[j]).sum(axis=-1)
             for i in range(3) for j in range(3) if i != j]
    np.testing.assert_allclose(ensemble.disagreement(states), np.mean(pairs, axis=0), rtol=1e-5)
    np.testing.assert_array_equal(ensemble.actions(states),
                                  probabilities.mean(axis=0).argmax(axis=-1))
    assert isinstance(ensemble.act(states[0]), int)
    with pytest.raises(ValueError, match="at least 2"):
        Ensemble(members[:1])


def test_ensemble_needs_held_out_states(demos: TransitionSet) -> None:
    with pytest.raises(ValueError, match="held-out"):
        drain(train_ensemble(
            EnsembleConfig(members=2, train=TrainConfig(steps=1, device="cpu")), demos,
            held_out=demos.observations[:0]))


def test_large_frames_are_compared_averaged_over_pixel_blocks() -> None:
    rng = np.random.default_rng(4)
    frames = rng.integers(0, 256, size=(30, 210, 160, 3), dtype=np.uint8)  # Atari's raw size
    scorer = NearestNeighbourScorer(frames[:20])
    assert scorer.scale.pool == 4 and scorer._reference.shape == (20, 52 * 40 * 3)
    assert scorer._reference.shape[1] <= ood.MAX_IMAGE_FEATURES

    def blocks(rows: np.ndarray) -> np.ndarray:  # 4x4 means, the last 2 rows left out
        return rows[:, :208].reshape(len(rows), 52, 4, 40, 4, 3).mean(axis=(2, 4)) / 255.0

    queries = frames[20:]
    gaps = blocks(queries).reshape(10, 1, -1) - blocks(frames[:20]).reshape(1, 20, -1)
    expected = np.sqrt((gaps**2).mean(axis=-1)).min(axis=1)
    np.testing.assert_allclose(scorer.raw_scores(queries), expected, rtol=1e-5)
    assert scorer.raw_scores(frames[:1])[0] == 0.0  # a demo frame is in the demos

    small = rng.integers(0, 256, size=(5, 84, 84, 1), dtype=np.uint8)  # fits: compared as is
    assert NearestNeighbourScorer(small).scale.pool == 1
