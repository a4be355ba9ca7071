"""The OOD score's limits and the one definition of where a trajectory leaves the demos."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from clonelab.models.failures.ood import MIN_STATES, TooFewStates, fit_ood
from clonelab.models.failures.ood_timeline import Departure, departure_text, first_departure


def transitions(states: int, episodes: int = 1) -> SimpleNamespace:
    rng = np.random.default_rng(0)
    return SimpleNamespace(observations=rng.normal(size=(states, 4)).astype(np.float32),
                           episode_ids=np.arange(states) % episodes)


@pytest.mark.parametrize("states", [0, 1])
def test_fewer_than_two_demo_states_are_too_few_for_a_score(states):
    with pytest.raises(TooFewStates, match="Record at least 2 demo states to see OOD scores"):
        fit_ood(transitions(states))


@pytest.mark.parametrize("episodes", [1, 2])
def test_two_demo_states_give_a_score(episodes):
    score = fit_ood(transitions(MIN_STATES, episodes))
    assert np.isfinite(score(transitions(3).observations)).all()


def test_the_first_step_past_the_threshold_is_where_a_trajectory_leaves():
    assert first_departure([0.2, 0.9, 1.0, 1.3, 0.5, 2.0]) == Departure(3, 1.3)
    assert first_departure([np.nan, 0.4, 1.5]) == Departure(2, 1.5)  # NaN: not rated
    assert first_departure([0.2, 1.0]) is None
    assert first_departure([1.2, 0.4]).step == 0


def test_one_wording_for_leaving_starting_outside_and_staying():
    assert departure_text(Departure(399, 1.234)) == \
        "leaves the demos' states at step 399 (OOD score 1.23 > 1)"
    assert departure_text(Departure(0, 3.79)) == \
        "starts outside the demos' states (OOD score 3.79 > 1 at step 0)"
    assert departure_text(None) == "stays within the demos' states (OOD score ≤ 1)"
    assert departure_text(None, so_far=True) == \
        "stays within the demos' states so far (OOD score ≤ 1)"


def test_a_state_scores_the_same_alone_or_in_a_batch():
    demos = transitions(3000, episodes=10)
    score = fit_ood(demos)
    states = demos.observations[:300] + np.float32(0.05)
    alone = np.array([score.score_one(state) for state in states])
    assert np.array_equal(score(states), alone)


def test_an_image_dataset_is_fitted_on_a_sample_read_row_by_row(tmp_path, monkeypatch):
    """A large Atari recording is never read whole (100,000 raw Pong frames are 10 GB)."""
    from clonelab.models.failures import ood_timeline
    from clonelab.recorder.dataset import DemoDataset
    from tests.recorder.crash_writer import DISCRETE_ACTIONS, IMAGE_SPACE, synthetic_episode

    dataset = DemoDataset.create(tmp_path / "frames", env_id="Synthetic-v0",
                                 observation_space=IMAGE_SPACE, action_space=DISCRETE_ACTIONS)
    for seed in range(4):
        dataset.append(synthetic_episode(seed, 90, IMAGE_SPACE))
    monkeypatch.setattr(ood_timeline, "IMAGE_OOD_STATES", 60)

    def whole(*_args: object) -> None:
        raise AssertionError("read every frame")

    monkeypatch.setattr(dataset, "transitions", whole)
    monkeypatch.setattr(dataset, "transition_chunks", whole)
    fitted: list[object] = []
    real_fit = ood_timeline.fit_ood
    monkeypatch.setattr(ood_timeline, "fit_ood",
                        lambda data, **kw: fitted.append(data) or real_fit(data, **kw))
    score = ood_timeline.demo_ood(dataset)
    sample = fitted[0]
    assert 55 <= len(sample.observations) <= 65  # every 6th of 360 frames
    assert set(sample.episode_ids.tolist()) == {0, 1, 2, 3}
    assert score.scale > 0 and score(sample.observations[:2]).shape == (2,)
