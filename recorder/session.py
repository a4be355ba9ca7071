"""PlaySession: steps an env and records the running episode for the dataset (no Qt).

Human play, agent play, expert play and takeover all drive the same session; each step says
who acted and through what. Committing a finished episode is the dataset's job
(``DemoDataset.append``), which the app runs off the UI thread.
"""

from __future__ import annotations

import copy
import logging
import math
import secrets
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import gymnasium as gym

from clonelab.recorder import schema
from clonelab.recorder.episode import EpisodeBuffer, EpisodeData
from clonelab.recorder.errors import one_line

logger = logging.getLogger(__name__)

_ACTORS = frozenset(schema.ACTOR_NAMES)
_DEVICES = frozenset(schema.DEVICE_NAMES)


class SessionStateError(RuntimeError):
    """A session method was called when the episode's state does not allow it."""


class StepOutcome(NamedTuple):
    """What one step returned; ``step`` counts the steps taken so far in the episode."""

    # A NamedTuple rather than a frozen dataclass: it is built at the env's frame rate.

    obs: Any
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    step: int
    episode_return: float


class PlaySession:
    """Plays one env episode after episode, buffering each for the dataset."""

    def __init__(self, env: gym.Env, *, env_id: str) -> None:
        self.env = env
        self.env_id = env_id
        self._buffer: EpisodeBuffer | None = None
        self._over = True

    @property
    def episode_over(self) -> bool:
        """True before the first reset and once the env terminated or truncated the episode."""
        return self._over

    @property
    def steps(self) -> int:
        """Steps taken in the running (or just ended) episode."""
        return len(self._buffer) if self._buffer is not None else 0

    @property
    def episode_return(self) -> float:
        return self._buffer.episode_return if self._buffer is not None else 0.0

    @property
    def seed(self) -> int | None:
        """The seed the running episode was reset with."""
        return self._buffer.seed if self._buffer is not None else None

    @property
    def fps(self) -> float:
        """Measured steps per second over the last 30 steps (NaN before the first step)."""
        return self._buffer.recent_fps() if self._buffer is not None else math.nan

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        """Start a new episode and return its first observation.

        With ``seed=None`` a fresh random seed is drawn and recorded, so that every recorded
        episode can be replayed. An unfinished episode not taken by :meth:`finish_episode` is
        dropped.
        """
        if self._buffer is not None and len(self._buffer):
            logger.info("dropping an unfinished episode of %d steps", len(self._buffer))
        if seed is None:
            seed = secrets.randbits(31)
        observation, _info = self.env.reset(seed=seed, options=options)
        self._buffer = EpisodeBuffer(observation, seed=seed, options=copy.deepcopy(options),
                                     timestamp=time.time())
        self._over = False
        return observation

    def step(self, action: Any, *, actor: str = "human", device: str = "keyboard"
             ) -> StepOutcome:
        """Step the env with ``action`` and record it with who acted and through what."""
        buffer = self._buffer
        if buffer is None or self._over:
            raise SessionStateError("the episode is over: call reset() before step()")
        if actor not in _ACTORS:
            raise ValueError(f"actor {actor!r} is not one of {sorted(_ACTORS)}")
        if device not in _DEVICES:
            raise ValueError(f"device {device!r} is not one of {sorted(_DEVICES)}")
        observation, reward, terminated, truncated, info = self.env.step(action)
        reward, terminated, truncated = float(reward), bool(terminated), bool(truncated)
        buffer.add(action, observation, reward, terminated, truncated, actor=actor,
                   device=device, timestamp=time.time())
        self._over = terminated or truncated
        return StepOutcome(observation, reward, terminated, truncated, info, len(buffer),
                           buffer.episode_return)

    def finish_episode(self) -> EpisodeData:
        """Hand over the episode played since the last reset as a frozen EpisodeData.

        An episode stopped before the env ended it is recorded as truncated at its last step.
        """
        if self._buffer is None:
            raise SessionStateError("no episode to finish: call reset() first")
        episode = self._buffer.freeze(self.env.observation_space, self.env.action_space)
        self._buffer = None
        self._over = True
        return episode


class GuardedSession:
    """A PlaySession whose failing step ends the episode (truncated) instead of raising.

    The error goes to `on_error` as one line, so a broken env shows a message in the view
    rather than reaching the window's exception hook in the middle of a timer tick.
    """

    def __init__(self, session: PlaySession, on_error: Callable[[str], None]) -> None:
        self._session = session
        self._on_error = on_error
        self._observation: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        """Reset the wrapped session."""
        self._observation = self._session.reset(seed=seed, options=options)
        return self._observation

    def step(self, action: Any, *, actor: str = "agent", device: str = "policy") -> StepOutcome:
        """Step the wrapped session; on failure report it and end the episode."""
        try:
            outcome = self._session.step(action, actor=actor, device=device)
        except Exception as exc:  # noqa: BLE001 - any env failure becomes a message
            logger.exception("the env failed while stepping")
            self._on_error(f"The env failed: {one_line(exc)}")
            return StepOutcome(self._observation, 0.0, False, True, {"error": str(exc)},
                               self._session.steps, self._session.episode_return)
        self._observation = outcome.obs
        return outcome
