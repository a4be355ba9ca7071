"""One timer in front of a `TwinRun`: both panes play, pause and scrub as one.

The panes and their shared step counter are Qt-free (`clonelab.models.twin_run`); the video
export drives the same `TwinRun` without a timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from clonelab.app.widgets.paced_timer import PacedTimer
from clonelab.app.window.errors import one_line
from clonelab.models.twin_run import TwinRun

log = logging.getLogger(__name__)


class Lockstep(PacedTimer):
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
        super().__init__(fps, parent=parent)
        self.run = run

    @property
    def running(self) -> bool:
        """Whether the timer is stepping."""
        return self._timer.isActive()

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

    def _guarded(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - an env failure is reported, not raised
            log.exception("lockstep: a pane failed")
            self.pause()
            self.failed.emit(one_line(exc))
            return None

    def _on_timeout(self) -> None:
        stepped = self._guarded(self.run.step)
        if stepped:
            self.stepped.emit(self.run.step_count)
        if self.run.over:
            self.pause()
            self.finished.emit()
