"""A QTimer that steps a PlaySession with an ActionSource at the env's fps times a speed factor."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PySide6.QtCore import QObject, Signal

from clonelab.app.widgets.paced_timer import PacedTimer

_SEED_RANGE = 2**31 - 1


@runtime_checkable
class HumanInput(Protocol):
    """An action source a person drives: it knows whether they are acting, and through what."""

    @property
    def device(self) -> str:
        """The device behind the last `act()` ("keyboard" or "gamepad")."""
        ...

    def has_input(self) -> bool:
        """Whether the person is pressing something now (or pressed since the last act)."""
        ...


class RateMeter:
    """Steps per second over the last steps, leaving out time spent paused or waiting.

    (The session's own rate counts from the reset and across pauses; the HUD wants the pace of
    play itself.)
    """

    def __init__(self, window: int = 30) -> None:
        self._intervals: deque[float] = deque(maxlen=window)
        self._last: float | None = None

    def step(self, now: float) -> float:
        """Count a step taken at `now` (monotonic seconds); the rate so far (NaN at first)."""
        if self._last is not None:
            self._intervals.append(now - self._last)
        self._last = now
        total = sum(self._intervals)
        return len(self._intervals) / total if total > 0 else math.nan

    def gap(self) -> None:
        """The next step does not follow the last one directly."""
        self._last = None


class PlayLoop(PacedTimer):
    """Steps `session` with `source` at `fps * speed`, scheduled by the clock, not by counting.

    Each tick asks the source for an action, steps the session and emits `stepped(StepOutcome)`;
    `achieved_fps(float)` with the measured pace of play (NaN before two steps). When the
    episode ends the loop pauses and emits `episode_finished(EpisodeData)` (whose `fps` the
    recorder measures from the step timestamps). `start()` on a finished (or fresh) session
    resets it first with the next seed. In wait-for-input mode a tick only steps while a
    `HumanInput` source reports input (Atari-HEAD style). In turn-based mode (grid worlds) a
    press is one action however long it is held: `take_turn()` steps at the press, and a tick
    steps only when input begins (a pad button, a tap shorter than a tick), never while it
    lasts. An exception in a tick pauses the loop and propagates (to the window's exception
    hook); the session keeps the buffered episode.
    """

    stepped = Signal(object)
    episode_finished = Signal(object)
    achieved_fps = Signal(float)
    running_changed = Signal()  # read `running`
    episode_started = Signal(object)  # the reset observation

    def __init__(self, session: Any, source: Any, fps: float, *, actor: str = "human",
                 device: str = "keyboard", seed: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(fps, parent=parent)
        self._session = session
        self._source = source
        self._actor = actor
        self._device = device
        self._seeds = None if seed is None else np.random.default_rng(seed)
        self._wait_for_input = False
        self._turn_based = False
        self._input_held = False  # turn-based: input was on at the last look
        self._running = False
        self._observation: Any = None
        self._next_due = 0.0
        self._meter = RateMeter()
        self._timer.setSingleShot(True)  # each tick schedules the next, against drift

    @property
    def session(self) -> Any:
        """The PlaySession being stepped."""
        return self._session

    @property
    def source(self) -> Any:
        """The ActionSource asked for each action."""
        return self._source

    @property
    def running(self) -> bool:
        """Whether the timer is stepping."""
        return self._running

    @property
    def wait_for_input(self) -> bool:
        """Whether the env advances only while the player acts."""
        return self._wait_for_input

    @property
    def turn_based(self) -> bool:
        """Whether a press is one step, however long it is held."""
        return self._turn_based

    @property
    def in_episode(self) -> bool:
        """Whether an episode has been reset and not finished."""
        return self._observation is not None

    def reset(self, seed: int | None = None) -> Any:
        """Start a new episode with `seed`, else the loop's next seed, else a random one.

        The session records the seed it used, so every episode can be replayed.
        """
        if seed is None and self._seeds is not None:
            seed = int(self._seeds.integers(_SEED_RANGE))
        self._observation = self._session.reset(seed=seed)
        self._source.reset(self._session.seed)
        self.episode_started.emit(self._observation)
        return self._observation

    def start(self) -> None:
        """Step at the chosen rate (resetting first when no episode is running)."""
        if self._running:
            return
        if not self.in_episode:
            self.reset()
        self._running = True
        self._meter.gap()
        self._next_due = time.monotonic()
        self._schedule()
        self.running_changed.emit()

    def pause(self) -> None:
        """Stop stepping; the episode stays where it is."""
        self._timer.stop()
        if self._running:
            self._running = False
            self.running_changed.emit()

    def step_once(self) -> None:
        """Pause and take exactly one step (a new episode is reset first when none runs)."""
        self.pause()
        if not self.in_episode:
            self.reset()
        self._meter.gap()
        self._step()

    def _on_speed_changed(self) -> None:
        if self._running:
            self._meter.gap()
            self._next_due = time.monotonic()
            self._schedule()

    def set_wait_for_input(self, enabled: bool) -> None:
        """Advance only when the player acts (True) or at the timer's rate (False)."""
        self._wait_for_input = enabled

    def set_turn_based(self, enabled: bool) -> None:
        """One step per press (True), or a step per tick while input lasts (False)."""
        self._turn_based = enabled

    def take_turn(self) -> None:
        """Turn-based: the player pressed something; step now, once (running only)."""
        if self._turn_based and self._running:
            self._input_held = True  # the press is spent: holding it adds no step
            self._step()

    def _schedule(self) -> None:
        delay_ms = max(0.0, (self._next_due - time.monotonic()) * 1000.0)
        self._timer.start(int(delay_ms))

    def _on_timeout(self) -> None:
        if not self._running:
            return
        period = 1.0 / self.target_fps
        now = time.monotonic()
        # Deadlines advance by the period, so rounding of the timer's milliseconds averages out;
        # after a stall we start again from now instead of bursting to catch up.
        self._next_due += period
        if self._next_due < now - period:
            self._next_due = now
        acting = not isinstance(self._source, HumanInput) or self._source.has_input()
        if self._turn_based:
            began, self._input_held = acting and not self._input_held, acting
            waiting = not began
        else:
            waiting = self._wait_for_input and not acting
        if waiting:
            self._meter.gap()
        else:
            self._step()
        if self._running:
            self._schedule()

    def _step(self) -> None:
        try:
            action = self._source.act(self._observation)
            device = self._source.device if isinstance(self._source, HumanInput) else self._device
            outcome = self._session.step(action, actor=self._actor, device=device)
        except BaseException:
            self.pause()
            raise
        self._observation = outcome.obs
        self.stepped.emit(outcome)
        self.achieved_fps.emit(self._meter.step(time.monotonic()))
        if outcome.terminated or outcome.truncated:
            self._finish()

    def _finish(self) -> None:
        self.pause()
        self._observation = None
        episode = self._session.finish_episode()
        self.episode_finished.emit(episode)
