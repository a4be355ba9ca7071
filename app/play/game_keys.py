"""A view's keyboard for the player: the keys the game binds go to it, not to shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

from clonelab.app.play.qt_keys import key_name


class GameKeys(QObject):
    """An event filter on `view` that hands the player the keys the game plays.

    `claims(name)` says whether a key beats the single-key shortcuts now (ShortcutOverride);
    `plays(name)` whether its presses go to the player rather than to the view. Signals:
    `pressed(name)`, `released(name)` (every key the controls name, so that nothing stays
    held), `focus_lost()` (the key-ups will go to another widget: release everything); auto-
    repeats are dropped. X11 often delivers a held key's repeats unflagged, as a release and a
    press with one timestamp: such a press is still reported (the key is held again), with
    `repeating` True while `pressed` is emitted. A click focuses the view.
    """

    pressed = Signal(str)
    released = Signal(str)
    focus_lost = Signal()

    def __init__(self, view: QWidget, *, plays: Callable[[str], bool],
                 claims: Callable[[str], bool] | None = None) -> None:
        super().__init__(view)
        self._view = view
        self._plays = plays
        self._claims = claims or plays
        self._released_at: dict[str, int] = {}  # key name -> timestamp of its last key-up
        self.repeating = False
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Take the game's keys; everything else goes on to the view."""
        kind = event.type()
        if isinstance(event, QKeyEvent):
            name = key_name(event.key())
            if kind == QEvent.Type.ShortcutOverride and name and self._claims(name):
                event.accept()
                return True
            if kind == QEvent.Type.KeyPress and name and self._plays(name):
                if not event.isAutoRepeat():
                    stamp = event.timestamp()
                    self.repeating = stamp != 0 and self._released_at.get(name) == stamp
                    self.pressed.emit(name)
                    self.repeating = False
                return True
            if kind == QEvent.Type.KeyRelease and name and not event.isAutoRepeat():
                self._released_at[name] = event.timestamp()
                self.released.emit(name)
        elif kind == QEvent.Type.FocusOut:
            self.focus_lost.emit()
        elif kind == QEvent.Type.MouseButtonPress:
            self._view.setFocus()
        return False
