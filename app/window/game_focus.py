"""Keys go to the game without a click: whenever its tab shows, the window is activated again,
or a dialog closes."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QTabWidget, QWidget

from clonelab.app.play.game_keys import GameKeys


class GameFocus(QObject):
    """Keeps the keyboard on the game of `window`'s current tab (Play, Takeover: a view with
    GameKeys), unless one of its text fields has it.

    Where no window manager hands the focus back (a bare X server, offscreen), a closed dialog
    leaves no window active and the keys reach nothing until a click: the window takes the
    focus back then.
    """

    def __init__(self, window: QWidget, tabs: QTabWidget, views: dict[str, QWidget]) -> None:
        super().__init__(window)
        self._window = window
        self._tabs = tabs
        self._views = views
        tabs.currentChanged.connect(self._on_current_changed)
        QApplication.instance().focusChanged.connect(self._on_focus_changed)
        window.installEventFilter(self)

    def focus_game(self) -> None:
        """Give the current tab's game the keys (nothing on a tab without one)."""
        view = self._views[self._tabs.tabText(self._tabs.currentIndex())]
        if view.findChild(GameKeys) is None:
            return
        focus = self._window.focusWidget()  # the window's, kept while another window is active
        typing = isinstance(focus, QLineEdit | QAbstractSpinBox)
        if not (typing and view.isAncestorOf(focus)):
            view.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Back from a dialog or another program: the keys go to the game again."""
        if event.type() == QEvent.Type.ActivationChange and self._window.isActiveWindow():
            self.focus_game()
        return False

    def _on_current_changed(self, _index: int) -> None:
        self.focus_game()

    def _on_focus_changed(self, old: QWidget | None, now: QWidget | None) -> None:
        left = old.window() if old is not None else None
        window = self._window
        if now is None and left is not None and left is not window \
                and left.parentWidget() is not None and left.parentWidget().window() is window:
            QTimer.singleShot(0, lambda: self._take_focus_back(left))

    def _take_focus_back(self, left: QWidget) -> None:
        if not shiboken6.isValid(self._window):
            return
        closed = not shiboken6.isValid(left) or not left.isVisible()
        if closed and self._window.isVisible() and QApplication.activeWindow() is None:
            self._window.activateWindow()
