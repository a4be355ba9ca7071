"""Two play sessions stepped together: one step counter, one timer, pause and scrub as one.

`TwinRun` is the Qt-free part (the Compare view and the video export both drive it): two panes,
each a `PlaySession` with an `ActionSource`, reset with the same seed and stepped together.
A pane whose episode ended (or whose recorded actions ran out) holds its last state while the
other goes on. `Lockstep` puts a single QTimer in front of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from clonelab.app.play.play_loop import MAX_SPEED, MIN_SPEED
from clonelab.app.window.errors import one_line
from clonelab.recorder.catalog import make_env
from clonelab.recorder.replay import observations_match
from clonelab.recorder.session import PlaySession

log = logging.getLogger(__name__)


@dataclass
class Pane:
    """One side: a session, what acts in it, and how its steps are labelled.

    A pane replaying a recording gets its `recorded` observations and keeps `first_mismatch`,
    the first step whose observation the env did not reproduce (or where it ended early).
    """

    session: Any
    source: Any
    actor: str
    device: str
    recorded: Any = None
    observation: Any = None
    done: bool = False
    last: Any = None
    """The latest `StepOutcome` (None right after a reset)."""
    first_mismatch: int | None = None

    def reset(self, seed: int | None, options: dict[str, Any] | None) -> None:
        """Reset the env and the source for a new episode from `seed`."""
        self.observation = self.session.reset(seed=seed, options=options)
        self.source.reset(seed)
        self.done = False
        self.last = None
        self._check()

    def step(self) -> None:
        """Take one step unless the pane has ended."""
        if self.done:
            return
        action = self.source.act(self.observation)
        outcome = self.session.step(action, actor=self.actor, device=self.device)
        self.observation = outcome.obs
        self.last = outcome
        # A replay source that has handed out every recorded action has nothing more to play.
        exhausted = bool(getattr(self.source, "exhausted", False))
        self.done = bool(outcome.terminated or outcome.truncated or exhausted)
        self._check()

    def _check(self) -> None:
        if self.recorded is None:
            return
        taken = self.session.steps
        ended_early = self.done and taken < len(self.recorded) - 1
        if ended_early or not observations_match(self.recorded[taken], self.observation):
            if self.first_mismatch is None or taken < self.first_mismatch:
                self.first_mismatch = taken

    @property
    def episode_return(self) -> float:
        """The return so far."""
        return 0.0 if self.last is None else float(self.last.episode_return)


def make_pane(env_id: str, source: Any, actor: str, device: str, *,
              recorded: Any = None) -> Pane:
    """A pane with its own env of `env_id` rendering to rgb_array."""
    env = make_env(env_id, render_mode="rgb_array")
    return Pane(PlaySession(env, env_id=env_id), source, actor, device, recorded=recorded)


class TwinRun:
    """Left and right panes reset with one seed and stepped by one counter.

    The run is over when both panes have ended, or when the counter reaches `limit`.
    """

    def __init__(self, left: Pane, right: Pane, *, seed: int | None,
                 options: dict[str, Any] | None = None, limit: int | None = None) -> None:
        self.panes = (left, right)
        self.seed = seed
        self.options = options
        self.limit = limit
        self.step_count = 0
        self.reset()

    @property
    def left(self) -> Pane:
        """The demo (or the human) side."""
        return self.panes[0]

    @property
    def right(self) -> Pane:
        """The policy side."""
        return self.panes[1]

    @property
    def over(self) -> bool:
        """Whether there is nothing left to step."""
        at_limit = self.limit is not None and self.step_count >= self.limit
        return at_limit or all(pane.done for pane in self.panes)

    def reset(self) -> None:
        """Back to step 0: both panes reset with the run's seed."""
        for pane in self.panes:
            pane.reset(self.seed, self.options)
        self.step_count = 0

    def step(self) -> bool:
        """Advance both panes one step; False when the run was already over."""
        if self.over:
            return False
        for pane in self.panes:
            pane.step()
        self.step_count += 1
        return True

    def seek(self, step: int) -> None:
        """Go to counter value `step` by replaying from the seed (envs cannot step back)."""
        if step < self.step_count:
            self.reset()
        while self.step_count < step and self.step():
            pass


class Lockstep(QObject):
    """One QTimer stepping a `TwinRun` at `fps * speed`; emits `stepped(step)` after each move.

    `stepped` also fires after `seek` and `restart`, so views redraw from one place.
    `running_changed(bool)` and `finished()` (the run is over) complete the picture; an env or
    a source that raises pauses the run and emits `failed(message)` instead of propagating.
    """

    stepped = Signal(int)
    running_changed = Signal(bool)
    finished = Signal()
    failed = Signal(str)

    def __init__(self, run: TwinRun, fps: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.run = run
        self._fps = float(fps)
        self._speed = 1.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._apply_interval()

    @property
    def running(self) -> bool:
        """Whether the timer is stepping."""
        return self._timer.isActive()

    @property
    def fps(self) -> float:
        """The env's rate at speed 1."""
        return self._fps

    @property
    def speed(self) -> float:
        """The speed factor."""
        return self._speed

    def set_speed(self, factor: float) -> None:
        """Set the speed factor, clipped to the play loop's range."""
        self._speed = float(min(MAX_SPEED, max(MIN_SPEED, factor)))
        self._apply_interval()

    def start(self) -> None:
        """Step on the timer (from the start again when the run is over)."""
        if self.running:
            return
        if self.run.over:
            self.restart()
        self._timer.start()
        self.running_changed.emit(True)

    def pause(self) -> None:
        """Stop the timer; both panes stay where they are."""
        if self.running:
            self._timer.stop()
            self.running_changed.emit(False)

    def toggle(self) -> None:
        """Pause when running, start otherwise."""
        if self.running:
            self.pause()
        else:
            self.start()

    def step_once(self) -> None:
        """Pause and advance both panes by one step."""
        self.pause()
        if self._guarded(self.run.step):
            self.stepped.emit(self.run.step_count)

    def seek(self, step: int) -> None:
        """Pause and put both panes at counter value `step`."""
        self.pause()
        self._guarded(lambda: self.run.seek(step))
        self.stepped.emit(self.run.step_count)

    def restart(self) -> None:
        """Both panes back to step 0."""
        self._guarded(self.run.reset)
        self.stepped.emit(self.run.step_count)

    def _apply_interval(self) -> None:
        self._timer.setInterval(max(1, round(1000.0 / (self._fps * self._speed))))

    def _guarded(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - an env failure is reported, not raised
            log.exception("lockstep: a pane failed")
            self.pause()
            self.failed.emit(one_line(exc))
            return None

    def _tick(self) -> None:
        stepped = self._guarded(self.run.step)
        if stepped:
            self.stepped.emit(self.run.step_count)
        if self.run.over:
            self.pause()
            self.finished.emit()
