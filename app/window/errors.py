"""Errors in the window: non-blocking message boxes and the global exception hook."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from clonelab.recorder.errors import one_line

__all__ = ["ExceptionHook", "one_line", "show_error"]  # one_line: the views import it from here

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, title: str, message: str) -> QMessageBox:
    """Show an error without blocking the event loop (play and recording keep their state)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    box.setObjectName("errorBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class ExceptionHook(QObject):
    """Replaces `sys.excepthook`: an unexpected exception is logged and shown, never fatal.

    Qt calls `sys.excepthook` for exceptions raised in slots and event handlers; the default hook
    only prints, and some setups abort. This one logs the traceback, calls `before_report` (the
    main window pauses play there, so the buffered episode stays in memory), and emits `raised`
    with a one-line summary that the window shows in a message box.
    """

    raised = Signal(str)

    def __init__(self, before_report: Callable[[], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._before_report = before_report
        self._previous: Callable | None = None

    def install(self) -> None:
        """Become `sys.excepthook` (remembering the previous hook)."""
        self._previous = sys.excepthook
        sys.excepthook = self.handle

    def uninstall(self) -> None:
        """Give `sys.excepthook` back."""
        if self._previous is not None and sys.excepthook == self.handle:
            sys.excepthook = self._previous
        self._previous = None

    def handle(self, kind: type[BaseException], value: BaseException,
               tb: TracebackType | None) -> None:
        """Log, pause, report; keyboard interrupts still end the program."""
        if issubclass(kind, KeyboardInterrupt) and self._previous is not None:
            self._previous(kind, value, tb)
            return
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        if self._before_report is not None:
            try:
                self._before_report()
            except Exception:  # noqa: BLE001 - the hook itself must never raise
                log.exception("pausing after an unexpected error failed")
        self.raised.emit(one_line(value))
