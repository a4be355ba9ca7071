"""Re-simulate a recorded episode from its seed and actions, and check it against the recording.

Vector-observation datasets store no frames, so the app rebuilds them: reset the env with the
episode's seed and options, step the recorded actions, render every step. The same pass checks
that the env still produces the recorded observations (a changed env version, a non-deterministic
env or a tampered file all show up as the first step where they differ).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from clonelab.recorder.dict_observations import flatten_observation
from clonelab.recorder.jobs import drain

logger = logging.getLogger(__name__)

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6


class ReplayError(Exception):
    """An episode cannot be re-simulated (no stored seed, an action the env rejects, ...)."""


class RecordedEpisode(Protocol):
    """The parts of `recorder.dataset.EpisodeData` a replay reads."""

    @property
    def observations(self) -> Any: ...
    @property
    def actions(self) -> Any: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def options(self) -> Any: ...
    @property
    def played_actions(self) -> Any: ...


def replayed_actions(episode: RecordedEpisode) -> Any:
    """The actions that step the env to the recorded states: those played where the
    recorded actions are labels (`EpisodeData.played_actions`), else the recorded ones."""
    return episode.actions if episode.played_actions is None else episode.played_actions


class CompressedFrames(Sequence[np.ndarray]):
    """RGB frames kept zlib-compressed in memory.

    A 600x400 classic-control frame is 720 KB raw and about 5 KB compressed (about 1 ms each
    way), so a 1,000-step episode fits in a few MB and the timeline can still scrub instantly.
    """

    def __init__(self) -> None:
        self._blobs: list[tuple[bytes, tuple[int, ...], np.dtype]] = []

    def append(self, frame: np.ndarray) -> None:
        """Compress and keep one frame."""
        frame = np.ascontiguousarray(frame)
        self._blobs.append((zlib.compress(frame.tobytes(), 1), frame.shape, frame.dtype))

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, index: int) -> np.ndarray:  # type: ignore[override]
        blob, shape, dtype = self._blobs[index]
        return np.frombuffer(zlib.decompress(blob), dtype=dtype).reshape(shape)


@dataclass(frozen=True, kw_only=True)
class ReplayProgress:
    """Where a running re-simulation is: `step` of `total` recorded actions done."""

    step: int
    total: int


@dataclass(frozen=True, kw_only=True)
class ReplayResult:
    """What a re-simulation produced and how it compares to the recording.

    `observations` and `frames` have one row per reset/step actually simulated (T+1 when the
    whole episode replayed). `errors[t]` is the largest absolute difference between the
    re-simulated and recorded observation t (NaN past the end of the re-simulation).
    `first_mismatch` is the first step t whose observation differs, or None when all match.
    """

    observations: np.ndarray
    frames: CompressedFrames
    errors: np.ndarray
    first_mismatch: int | None

    @property
    def matches(self) -> bool:
        """True when every recorded observation was reproduced."""
        return self.first_mismatch is None


def observations_match(
    recorded: Any, simulated: Any, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> bool:
    """Whether two observations agree within tolerance (same shape, NaNs equal)."""
    a = np.asarray(recorded)
    b = np.asarray(simulated)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.array_equal(a, b))


def _max_error(recorded: Any, simulated: Any) -> float:
    a = np.asarray(recorded, dtype=np.float64)
    b = np.asarray(simulated, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    diff = np.abs(a - b)
    diff[np.isnan(a) & np.isnan(b)] = 0.0
    return float(np.nanmax(diff, initial=0.0)) if diff.size else 0.0


def _reset_args(episode: RecordedEpisode) -> dict[str, Any]:
    if episode.seed is None:
        raise ReplayError("the episode has no stored reset seed, so it cannot be re-simulated")
    options = episode.options if episode.options else None
    return {"seed": int(episode.seed), "options": options}


def _render(env: gym.Env) -> np.ndarray:
    frame = env.render()
    if not isinstance(frame, np.ndarray):
        raise ReplayError(
            f"{env.spec.id if env.spec else env}: render() gave {type(frame).__name__}, "
            "build the env with render_mode='rgb_array'"
        )
    return frame


def resimulate(
    env: gym.Env,
    episode: RecordedEpisode,
    *,
    render: bool = True,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> Generator[ReplayProgress, None, ReplayResult]:
    """Replay `episode`'s played actions (`replayed_actions`) in `env` from its seed, yielding
    progress; return the result.

    `env` must be built with `render_mode="rgb_array"` when `render` is True. The generator
    form lets the app run it in a worker thread (and cancel it); use `check_episode` to just
    get the result.
    """
    recorded = np.asarray(episode.observations)
    actions = replayed_actions(episode)
    total = len(actions)
    frames = CompressedFrames()
    reset_args = _reset_args(episode)
    try:
        obs, _ = env.reset(**reset_args)
    except Exception as exc:
        raise ReplayError(f"resetting the env for replay failed: {exc}") from exc
    # Dict observations are compared as the flat rows the dataset holds.
    simulated = [flatten_observation(env.observation_space, obs)]
    if render:
        frames.append(_render(env))
    for t in range(total):
        try:
            obs, _, terminated, truncated, _ = env.step(actions[t])
        except Exception as exc:
            raise ReplayError(f"step {t}: the env rejected the recorded action: {exc}") from exc
        simulated.append(flatten_observation(env.observation_space, obs))
        if render:
            frames.append(_render(env))
        yield ReplayProgress(step=t + 1, total=total)
        # An env that ends before the recording does has already diverged; stepping on would
        # only raise gymnasium's "step after done" warnings.
        if (terminated or truncated) and t + 1 < total:
            break
    errors = np.full(len(recorded), np.nan)
    first_mismatch: int | None = None
    for t, sim in enumerate(simulated[: len(recorded)]):
        errors[t] = _max_error(recorded[t], sim)
        matches = observations_match(recorded[t], sim, rtol=rtol, atol=atol)
        if first_mismatch is None and not matches:
            first_mismatch = t
    if first_mismatch is None and len(simulated) < len(recorded):
        first_mismatch = len(simulated)
    if first_mismatch is not None:
        logger.info("replay diverges from the recording at step %d", first_mismatch)
    return ReplayResult(
        observations=np.stack(simulated),
        frames=frames,
        errors=errors,
        first_mismatch=first_mismatch,
    )


def check_episode(
    env: gym.Env, episode: RecordedEpisode, *, render: bool = False, **tolerances: float
) -> ReplayResult:
    """Re-simulate `episode` in `env` to the end and return the comparison."""
    return drain(resimulate(env, episode, render=render, **tolerances))


class RecordedActions:
    """An `ActionSource` that plays back an episode's actions, one per `act()` call.

    After the last recorded action it keeps returning that action; callers stop at
    `exhausted`.
    """

    def __init__(self, actions: Sequence[Any]) -> None:
        if len(actions) == 0:
            raise ReplayError("the episode has no actions to replay")
        self._actions = actions
        self._index = 0

    @property
    def index(self) -> int:
        """How many actions have been handed out since the last reset."""
        return self._index

    @property
    def exhausted(self) -> bool:
        """True once every recorded action has been handed out."""
        return self._index >= len(self._actions)

    def reset(self, seed: int | None = None) -> None:
        """Start again from the first action (the seed is the env's business)."""
        self._index = 0

    def seek(self, index: int) -> None:
        """Continue from recorded action `index`."""
        self._index = max(0, min(index, len(self._actions)))

    def act(self, observation: Any) -> Any:
        """The next recorded action."""
        action = self._actions[min(self._index, len(self._actions) - 1)]
        self._index += 1
        return action
