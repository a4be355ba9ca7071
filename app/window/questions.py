"""Modal questions with labelled answers, asked before something is kept or lost."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

Answer = QMessageBox.StandardButton


def ask(parent: QWidget, title: str, text: str, buttons: dict[Answer, str]) -> Answer:
    """A modal question with `buttons` (standard button -> label); the last one is the
    default and what Escape (or closing the box) gives."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, Answer.NoButton, parent)
    for button, label in buttons.items():
        box.addButton(button).setText(label)
    last = list(buttons)[-1]
    box.setDefaultButton(last)
    box.setEscapeButton(last)
    return Answer(box.exec())
