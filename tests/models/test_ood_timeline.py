"""The OOD score's limits and the one definition of where a trajectory leaves the demos."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from clonelab.models.failures.ood import MIN_STATES, TooFewStates, fit_ood


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
