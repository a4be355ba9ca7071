"""Run and Cancel, a progress bar, a status line and a message line, following a `JobRunner`.

Every panel that runs a long job composes one `JobControls`: the buttons follow the runner's busy
state, Cancel cancels it, and the bar is indeterminate until the panel reports a total.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.message_line import MessageLine


class JobControls(QWidget):
    """The run/cancel/progress row of a panel, wired to `runner`.

    `run_button` is the panel's to connect (it builds and starts the job). While the runner is
    busy, Run is disabled and Cancel enabled; Cancel calls `runner.cancel()`. The status line
    says "Cancelling...", "Cancelled." and "Done."; a failure's message goes to `message` in red.
    Panels write their own progress through `set_progress` and `set_status`.
    """

    def __init__(self, runner: JobRunner, run_text: str, *, message_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.run_button = QPushButton(run_text)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status = QLabel()
        self.message = MessageLine(message_name)
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        # The bar shares the row with the status: "step 1500 / 1500  (epoch 42.0)" shows whole.
        self.progress_bar.setMinimumWidth(240)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        runner.busy_changed.connect(self._on_busy_changed)
        runner.started.connect(self._on_started)
        runner.finished.connect(self._on_finished)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        self._on_busy_changed(runner.busy)

    def set_progress(self, value: int | None = None, total: int | None = None) -> None:
        """Show `value` of `total` (determinate), or, with no total, a busy bar."""
        if total is None:
            self.progress_bar.setRange(0, 0)
            return
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(min(value or 0, max(total, 1)))

    def cancel(self) -> None:
        """What Cancel does: ask the runner's job to stop, and say so."""
        if self.runner.busy:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)
            self.set_status("Cancelling...")

    def set_status(self, text: str) -> None:
        """The one-line status next to the bar."""
        self.status.setText(text)

    def _settle_bar(self, full: bool) -> None:
        if self.progress_bar.maximum() == 0:  # still indeterminate: no total was ever reported
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(1 if full else 0)

    def _on_busy_changed(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _on_started(self) -> None:
        self.set_progress()

    def _on_finished(self, _result: Any) -> None:
        self._settle_bar(True)
        self.set_status("Done.")

    def _on_failed(self, message: str) -> None:
        self._settle_bar(False)
        self.set_status("")
        self.message.show_message(message, "error")

    def _on_cancelled(self, _partial: Any) -> None:
        self._settle_bar(False)
        self.set_status("Cancelled.")
