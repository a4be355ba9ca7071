"""A recording's actions replayed in a process of its own, one frame per step asked for.

A video export of a side by side steps and renders two envs per frame; where rendering is the
slow part (CarRacing draws its whole scene in Python), the demo's replay runs here on another
core while the caller plays the clone. The child imports only the recorder (no torch, no Qt),
so it starts in about a second. A replay does not depend on the caller, so the child runs
ahead of it by up to `_AHEAD` steps: neither side waits on the other for a scheduler's slice.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clonelab.recorder.errors import one_line
from clonelab.recorder.frames import rendered_frame

log = logging.getLogger(__name__)

__all__ = ["ReplayProcess", "ReplayProcessError", "ReplayedStep"]

_JOIN_S = 5.0
_AHEAD = 8  # steps the child may run ahead: ~3 MB of 450x300 frames
_POLL_S = 0.5  # how often a wait checks that the child still runs


class ReplayProcessError(Exception):
    """The replay process failed or stopped; the message says why in one line."""


@dataclass(frozen=True)
class ReplayedStep:
    """The demo side after a step (or the reset): its frame, return, last action and whether
    it has ended (terminated, truncated or out of recorded actions)."""

    frame: np.ndarray
    episode_return: float
    action: Any
    done: bool


def _replay(env_id: str, seed: int | None, options: dict[str, Any] | None,
            actions: Sequence[Any], height: int | None, steps: Any, stop: Any) -> None:
    """The child: the reset's ReplayedStep, then one per recorded action until the episode
    ends, into `steps` (a one-line error string instead where the env fails); `stop` ends it
    early."""
    from clonelab.recorder.catalog import make_env  # in the child only

    env = None
    try:
        env = make_env(env_id, render_mode="rgb_array")
        env.reset(seed=seed, options=options)
        total = 0.0
        steps.put(ReplayedStep(rendered_frame(env, height), total, None, len(actions) == 0))
        for index, action in enumerate(actions):
            if stop.is_set():
                return
            _observation, reward, terminated, truncated, _info = env.step(action)
            total += float(reward)
            done = bool(terminated or truncated) or index + 1 == len(actions)
            steps.put(ReplayedStep(rendered_frame(env, height), total, action, done))
            if done:
                return
    except Exception as exc:  # noqa: BLE001 - any env failure is reported, not raised here
        steps.put(f"the demo's replay failed: {one_line(exc)}")
    finally:
        if env is not None:
            env.close()


class ReplayProcess:
    """`actions` replayed from `seed` in a spawned process: `first()` is the reset's step,
    then each `ask()` and `take()` the next step (the child has usually made it already).
    Frames come as `rendered_frame(env, height)` makes them."""

    def __init__(self, env_id: str, seed: int | None, options: dict[str, Any] | None,
                 actions: Sequence[Any], *, height: int | None = None) -> None:
        context = multiprocessing.get_context("spawn")  # fork is unsafe beside Qt and torch
        self._steps = context.Queue(maxsize=_AHEAD)
        self._stop = context.Event()
        self._process = context.Process(
            target=_replay, args=(env_id, seed, options, list(actions), height, self._steps,
                                  self._stop),
            name=f"replay {env_id}", daemon=True)
        self._process.start()
        self._asked = 0

    def first(self) -> ReplayedStep:
        """The reset's step (waits for the process to start)."""
        return self._receive()

    def ask(self) -> None:
        """Ask for the next step (the child is on its way to it already)."""
        self._asked += 1

    def take(self) -> ReplayedStep:
        """The step `ask()` asked for."""
        if not self._asked:
            raise ReplayProcessError("no step was asked for")
        self._asked -= 1
        return self._receive()

    def _receive(self) -> ReplayedStep:
        while True:
            try:
                answer = self._steps.get(timeout=_POLL_S)
                break
            except queue.Empty:
                if not self._process.is_alive() and self._steps.empty():
                    raise ReplayProcessError("the demo's replay process stopped") from None
        if isinstance(answer, str):
            raise ReplayProcessError(answer)
        return answer

    def close(self) -> None:
        """Stop the process and wait for it; steps it made ahead are dropped."""
        self._stop.set()
        deadline = time.monotonic() + _JOIN_S
        # Taking what it made lets a child blocked on a full queue see the stop and end.
        while self._process.is_alive() and time.monotonic() < deadline:
            try:
                self._steps.get(timeout=0.05)
            except queue.Empty:
                pass
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(_JOIN_S)
        self._steps.close()
