"""A scripted expert with a reaction lag: it acts on the observation from `lag` steps ago.

People react to what they saw a few hundred milliseconds before (Atari-HEAD measured it), so
their action at step t answers observation t-d. `LaggedExpert` stands in for such a person:
the wrapped expert sees each observation `lag` steps late. Until `lag` observations have gone
by in an episode it sees the episode's first observation again (as a person who had watched the
start screen would react to it), never a made-up no-op, which not every action space has.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from clonelab.recorder.experts.base import ScriptedExpert

__all__ = ["LaggedExpert", "check_lag"]


def check_lag(lag: object) -> int:
    """`lag` as a whole number of steps >= 0, or a `ValueError` saying what to give."""
    if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
        raise ValueError(f"lag must be a whole number of steps, 0 or more (0: no lag), "
                         f"got {lag!r}")
    return lag


class LaggedExpert:
    """An `ActionSource`: `expert` acting on the observation from `lag` steps ago.

    Raises `ValueError` for a negative lag and for an expert that reads the env's own state
    rather than the observation (delaying its observation would delay nothing).
    """

    def __init__(self, expert: ScriptedExpert, lag: int) -> None:
        self.lag = check_lag(lag)
        if self.lag and not expert.reads_observation:
            env_id = expert.env.spec.id if expert.env.spec is not None else "this env"
            raise ValueError(f"the {env_id} expert reads the game's own state, not the "
                             f"observation, so it cannot be lagged; choose lag 0")
        self.expert = expert
        self._seen: deque[Any] = deque(maxlen=self.lag + 1)

    def reset(self, seed: int | None = None) -> None:
        """Start an episode: forget the observations seen, reset the expert."""
        self._seen.clear()
        self.expert.reset(seed)

    def act(self, observation: Any) -> Any:
        """The expert's action for the observation `lag` steps before `observation`."""
        # A copy: an env may change the array it returned in place.
        observation = copy.deepcopy(observation)
        if not self._seen:
            # The first observation fills the past, so the first `lag` steps answer it.
            self._seen.extend([observation] * self.lag)
        self._seen.append(observation)
        return self.expert.act(self._seen[0])
