"""A QTimer that plays episodes under a takeover controller (`models.failures.takeover`) at the
env's fps.

Unlike `app.play.play_loop.PlayLoop`, whose source acts as one actor throughout, every step here
asks
a controller who acts (`Decision.actor`), so the session records "agent" and "human" steps
apart. When an `AskForHelp` controller asks for help the loop can pause *before* stepping
(`pause_on_request`): the human reads the banner, takes the keys, and on resume the controller
decides again for the same observation, now in human mode.

An episode can start after a countdown (`counting(seconds left)` once a second, on a QTimer so
the window stays live), at a speed a person can follow: the Takeover tab starts every episode
so, and the person has read how to take over before the clone moves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from clonelab.app.widgets.paced_timer import PacedTimer
from clonelab.models.failures.takeover import (
    AskForHelp,
    ControlledEpisode,
    Controller,
    Decision,
)
from clonelab.recorder.session import StepOutcome

MIN_SPEED = 0.1


def takeovers(interventions: np.ndarray) -> int:
    """How many separate stretches of human control a flags array holds."""
    flags = np.asarray(interventions, dtype=bool)
    return int(np.count_nonzero(flags[1:] & ~flags[:-1]) + (flags[:1].sum()))


class TakeoverLoop(PacedTimer):
    """Steps `session` under `controller` at `fps * speed`.

    Signals: `stepped(StepOutcome, Decision)`, `help_requested(Decision)` (the step where the
    clone asks), `episode_finished(ControlledEpisode)`, `running_changed()`, `counting(int)`
    (seconds left before an episode's first step: `countdown` down to 1, then 0 as stepping
    starts). An episode ends when the env ends it or after `max_steps` steps (recorded as
    truncated).
    """

    counting = Signal(int)
    stepped = Signal(object, object)
    help_requested = Signal(object)
    episode_finished = Signal(object)
    running_changed = Signal()

    def __init__(self, session: Any, controller: Controller | None, fps: float, *,
                 max_steps: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(fps, min_speed=MIN_SPEED, parent=parent)
        self.session = session
        self.controller = controller
        """Set before an episode starts; swapped between episodes when the clone is retrained."""
        self.max_steps = max_steps
        self.pause_on_request = True
        self.countdown = 0
        """Seconds counted down before an episode's first step (0: none)."""
        self.episode_speed = 1.0
        """The speed the episode was begun at (play returns to it after a slowed request)."""
        self._seconds_left = 0
        self._counter = QTimer(self)
        self._counter.setInterval(1000)
        self._counter.timeout.connect(self._count)
        self._observation: Any = None
        self._actions: list[Any] = []
        self._interventions: list[bool] = []
        self._requests = 0

    @property
    def running(self) -> bool:
        """Whether the timer is stepping or counting down to the first step."""
        return self._timer.isActive() or self._counter.isActive()

    @property
    def seconds_left(self) -> int:
        """Seconds left in the countdown before the first step (0 when not counting)."""
        return self._seconds_left

    @property
    def observation(self) -> Any:
        """The observation the next step decides on (None between episodes)."""
        return self._observation

    @property
    def in_episode(self) -> bool:
        """Whether an episode has been reset and not finished."""
        return self._observation is not None

    def reset(self, seed: int) -> Any:
        """Start an episode from `seed` (controller counts back to 0)."""
        if self.controller is None:
            raise RuntimeError("TakeoverLoop: set a controller before starting an episode")
        self._observation = self.session.reset(seed=seed)
        self.controller.reset(seed)
        self._actions, self._interventions, self._requests = [], [], 0
        return self._observation

    def begin(self, controller: Controller, seed: int, *, max_steps: int | None,
              pause_on_request: bool, speed: float = 1.0, countdown: int = 0) -> Any:
        """Start an episode from `seed` under `controller`, at `speed`; `start` counts down
        `countdown` seconds before its first step."""
        self.controller, self.max_steps = controller, max_steps
        self.pause_on_request, self.countdown = pause_on_request, countdown
        self.set_speed(speed)
        self.episode_speed = self._speed
        return self.reset(seed)

    def hand_back(self, *, resume: bool) -> None:
        """Give control back to the clone now (an ask-for-help controller), at the episode's
        speed."""
        if isinstance(self.controller, AskForHelp):
            self.controller.release()
        self.set_speed(self.episode_speed)
        if resume:
            self.start()

    def start(self) -> None:
        """Step at the chosen rate (an episode must have been reset); before the episode's
        first step, after the countdown."""
        if self.running or not self.in_episode:
            return
        if self.countdown > 0 and not self._actions:
            self._seconds_left = self.countdown
            self._counter.start()
            self.counting.emit(self._seconds_left)
        else:
            self._timer.start()
        self.running_changed.emit()

    def pause(self) -> None:
        """Stop stepping (or counting down); the episode stays where it is."""
        if self.running:
            self._timer.stop()
            self._counter.stop()
            self._seconds_left = 0
            self.running_changed.emit()

    def step_once(self) -> None:
        """Take one step now (or stop at a help request), without the timer."""
        if self.in_episode:
            self._on_timeout()

    def _count(self) -> None:
        self._seconds_left -= 1
        if self._seconds_left <= 0:
            self._counter.stop()
            self._timer.start()
        self.counting.emit(self._seconds_left)

    def _on_timeout(self) -> None:
        try:
            decision: Decision = self.controller.decide(self._observation)
        except BaseException:
            self.pause()
            raise
        self._requests += decision.requested_help
        if decision.requested_help:
            if self.pause_on_request:
                self.pause()
                self.help_requested.emit(decision)
                return  # the human answers; the next tick decides again, in human mode
            self.help_requested.emit(decision)
        outcome: StepOutcome = self.session.step(decision.action, actor=decision.actor,
                                                 device=decision.device)
        self._observation = outcome.obs
        self._actions.append(decision.action)
        self._interventions.append(decision.intervention)
        self.stepped.emit(outcome, decision)
        cut = self.max_steps is not None and self.session.steps >= self.max_steps
        if outcome.terminated or outcome.truncated or cut:
            self._finish()

    def _finish(self) -> None:
        self.pause()
        self._observation = None
        episode = self.session.finish_episode()
        space = self.session.env.action_space
        actions = np.asarray(self._actions).astype(space.dtype, copy=False)
        self.episode_finished.emit(ControlledEpisode(
            episode=episode, labels=actions.reshape(len(self._actions), *space.shape),
            interventions=np.asarray(self._interventions, dtype=bool),
            requests=self._requests,
        ))
