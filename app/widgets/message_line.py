"""A line of text in a view for what went wrong (red), what went right (green), or a note."""

from __future__ import annotations

import logging
from typing import Literal

from PySide6.QtWidgets import QLabel, QWidget

log = logging.getLogger(__name__)

Tone = Literal["note", "error", "good"]
_STYLES: dict[str, str] = {"note": "", "error": "color: #c0392b;", "good": "color: #1e8449;"}


class MessageLine(QLabel):
    """A word-wrapped label that hides itself while empty; errors are red and logged."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str, tone: Tone = "note") -> None:
        """Show `text` in the given tone; an empty text hides the line."""
        self.setText(text)
        self.setStyleSheet(_STYLES[tone])
        self.setVisible(bool(text))
        if text and tone == "error":
            log.info("%s: %s", self.objectName(), text)
