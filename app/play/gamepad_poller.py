"""Reads the gamepad on a QTimer (never blocking the UI) and reports readings and hot-plug."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from clonelab.recorder.controls import GamepadError, GamepadReader, HotplugEvent

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 10


class GamepadPoller(QObject):
    """Polls a `GamepadReader` every few milliseconds on the UI thread (each poll is a few µs).

    Signals: `polled(GamepadState | None)` after every poll, `connected(name)` and
    `disconnected(name)` on hot-plug, `unavailable(message)` when SDL cannot read gamepads at
    all (the app then plays with the keyboard only).
    """

    polled = Signal(object)
    connected = Signal(str)
    disconnected = Signal(str)
    unavailable = Signal(str)

    def __init__(self, reader_factory: Callable[..., GamepadReader] = GamepadReader,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader_factory = reader_factory
        self._reader: GamepadReader | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> bool:
        """Open the reader and start polling; False (and `unavailable`) when SDL fails."""
        if self._reader is None:
            try:
                self._reader = self._reader_factory(on_hotplug=self._on_hotplug)
            except GamepadError as exc:
                log.warning("gamepads unavailable: %s", exc)
                self.unavailable.emit(str(exc))
                return False
        self._timer.start()
        return True

    def stop(self) -> None:
        """Stop polling and release the pads."""
        self._timer.stop()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def poll(self) -> None:
        """Read the pad once (the timer calls this; tests may call it directly)."""
        if self._reader is not None:
            self.polled.emit(self._reader.poll())

    def _on_hotplug(self, event: HotplugEvent) -> None:
        if event.kind == "connected":
            self.connected.emit(event.name)
        else:
            self.disconnected.emit(event.name)
