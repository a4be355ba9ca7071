"""Stepping at an env's frame rate times a speed factor: what every play loop shares.

The Play tab's loop, the Takeover tab's loop and the Compare tab's lockstep all step on one
precise QTimer at `fps * speed`, with the speed clipped to a range; each decides what a tick does.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

MIN_SPEED = 0.25
MAX_SPEED = 2.0


class PacedTimer(QObject):
    """A precise timer at `fps * speed` that calls `_on_timeout` (subclasses define it).

    Subclasses say whether they run (`running`) and how they `start` and `pause`; `toggle`
    switches between them. `_on_speed_changed` runs after every speed change: by default the
    timer's interval follows it (a single-shot timer reschedules itself instead).
    """

    def __init__(self, fps: float, *, min_speed: float = MIN_SPEED,
                 max_speed: float = MAX_SPEED, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self._fps = float(fps)
        self._speed = 1.0
        self._speed_range = (min_speed, max_speed)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timeout)
        self._timer.setInterval(self.interval_ms)

    @property
    def fps(self) -> float:
        """The env's rate at speed 1."""
        return self._fps

    @property
    def speed(self) -> float:
        """The speed factor, within the timer's range."""
        return self._speed

    @property
    def target_fps(self) -> float:
        """The rate asked for: the env's fps times the speed."""
        return self._fps * self._speed

    @property
    def interval_ms(self) -> int:
        """Milliseconds between steps at the target rate."""
        return max(1, round(1000.0 / self.target_fps))

    @property
    def running(self) -> bool:
        """Whether the loop is stepping."""
        raise NotImplementedError

    def start(self) -> None:
        """Start stepping."""
        raise NotImplementedError

    def pause(self) -> None:
        """Stop stepping."""
        raise NotImplementedError

    def toggle(self) -> None:
        """Pause when running, start otherwise."""
        if self.running:
            self.pause()
        else:
            self.start()

    def set_speed(self, factor: float) -> None:
        """Set the speed factor, clipped to the timer's range."""
        low, high = self._speed_range
        self._speed = float(min(high, max(low, factor)))
        self._on_speed_changed()

    def _on_speed_changed(self) -> None:
        self._timer.setInterval(self.interval_ms)

    def _on_timeout(self) -> None:
        raise NotImplementedError
