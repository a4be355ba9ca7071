"""A recording's actions replayed in a process of its own, one frame per step asked for.

A video export of a side by side steps and renders two envs per frame; where rendering is the
slow part (CarRacing draws its whole scene in Python), the demo's replay runs here on another
core while the caller plays the clone. The child imports only the recorder (no torch, no Qt),
so it starts in about a second. Frames come back through a pipe, one step ahead at most.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from clonelab.recorder.errors import one_line
from clonelab.recorder.frames import rendered_frame

log = logging.getLogger(__name__)

__all__ = ["ReplayProcess", "ReplayProcessError", "ReplayedStep"]

_JOIN_S = 5.0


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
            actions: Sequence[Any], height: int | None, connection: Connection) -> None:
    """The child: reset, then one step per True received, each answered with a ReplayedStep
    (or a one-line error string); False or a closed pipe ends it."""
    from clonelab.recorder.catalog import make_env  # in the child only

    env = None
    try:
        env = make_env(env_id, render_mode="rgb_array")
        env.reset(seed=seed, options=options)
        total = 0.0
        connection.send(ReplayedStep(rendered_frame(env, height), total, None,
                                     len(actions) == 0))
        for index, action in enumerate(actions):
            if not connection.recv():
                return
            _observation, reward, terminated, truncated, _info = env.step(action)
            total += float(reward)
            done = bool(terminated or truncated) or index + 1 == len(actions)
            connection.send(ReplayedStep(rendered_frame(env, height), total, action, done))
            if done:
                return
    except (EOFError, BrokenPipeError):
        return  # the parent went away
    except Exception as exc:  # noqa: BLE001 - any env failure is reported, not raised here
        connection.send(f"the demo's replay failed: {one_line(exc)}")
    finally:
        if env is not None:
            env.close()
        connection.close()


class ReplayProcess:
    """`actions` replayed from `seed` in a spawned process: `first()` is the reset's step,
    then `ask()` starts a step and `take()` waits for it, so the caller works meanwhile.
    Frames come as `rendered_frame(env, height)` makes them."""

    def __init__(self, env_id: str, seed: int | None, options: dict[str, Any] | None,
                 actions: Sequence[Any], *, height: int | None = None) -> None:
        context = multiprocessing.get_context("spawn")  # fork is unsafe beside Qt and torch
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_replay, args=(env_id, seed, options, list(actions), height, child),
            name=f"replay {env_id}", daemon=True)
        self._process.start()
        child.close()
        self._asked = False

    def first(self) -> ReplayedStep:
        """The reset's step (waits for the process to start)."""
        return self._receive()

    def ask(self) -> None:
        """Start the next step in the process."""
        self._connection.send(True)
        self._asked = True

    def take(self) -> ReplayedStep:
        """The step `ask()` started."""
        if not self._asked:
            raise ReplayProcessError("no step was asked for")
        self._asked = False
        return self._receive()

    def _receive(self) -> ReplayedStep:
        try:
            answer = self._connection.recv()
        except (EOFError, OSError) as exc:
            raise ReplayProcessError("the demo's replay process stopped") from exc
        if isinstance(answer, str):
            raise ReplayProcessError(answer)
        return answer

    def close(self) -> None:
        """Stop the process (it may be mid-step) and wait for it."""
        try:
            self._connection.send(False)
        except OSError:
            pass  # it has ended already
        self._connection.close()
        self._process.join(_JOIN_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(_JOIN_S)
