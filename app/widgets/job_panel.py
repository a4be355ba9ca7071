"""A view that runs one job at a time: its runner, its Run/Cancel row, and a stop on close.

The Train tab, the Failures panels and the Inverse RL panels derive from `JobPanel`, so none of
them keeps its own runner bookkeeping.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget

from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.job_controls import JobControls
from clonelab.app.widgets.job_runner import JobRunner

SIDE_COLUMN_WIDTH = 460  # the Run/Cancel row (buttons, a 240 px bar, the status) fits whole


class JobPanel(QWidget):
    """Owns `runner` (a `JobRunner`) and `controls` (its `JobControls`, whose message line is
    `message`). `cancel()` asks the job to stop; `shutdown()`, also run when the panel closes,
    waits up to `shutdown_ms` for its thread."""

    def __init__(self, run_text: str, *, message_name: str, shutdown_ms: int = 10_000,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = JobRunner(self)
        self.controls = JobControls(self.runner, run_text, message_name=message_name)
        self.message = self.controls.message
        self._shutdown_ms = shutdown_ms

    def is_busy(self) -> bool:
        """Whether a job runs."""
        return self.runner.busy

    def cancel(self) -> None:
        """Ask the running job to stop (it ends with `cancelled`)."""
        self.controls.cancel()

    def shutdown(self) -> None:
        """Stop the job and wait for its thread (the panel is going away)."""
        self.runner.shutdown(self._shutdown_ms)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def form_config(self, form: ConfigForm) -> Any | None:
        """The config `form` builds, or None with "Fix the settings: ..." in `message`."""
        try:
            return form.config()
        except ValueError as exc:  # ConfigFormError: text the config refuses
            self.message.show_message(f"Fix the settings: {exc}", "error")
            return None


def side_column(*parts: QWidget | QLayout, width: int = SIDE_COLUMN_WIDTH) -> QWidget:
    """`parts` stacked at the top of a column at most `width` pixels wide."""
    column = QVBoxLayout()
    for part in parts:
        if isinstance(part, QLayout):
            column.addLayout(part)
        else:
            column.addWidget(part)
    column.addStretch(1)
    widget = QWidget()
    widget.setLayout(column)
    widget.setMaximumWidth(width)
    return widget
