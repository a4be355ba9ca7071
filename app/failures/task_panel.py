"""A panel that runs one long piece of work at a time in the background, with Run and Cancel.

The Failures tab's panels (compounding error, subsets, DAgger) share this: a `JobRunner` and its
`JobControls` (Run, Cancel, progress, a status line, and a message line for errors), so no
failure of the work ever reaches the window's exception hook.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from clonelab.app.widgets.job_panel import JobPanel
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.policy import Policy
from clonelab.recorder.dataset import DemoDataset


class TaskPanel(JobPanel):
    """Base of the Failures tab's panels: `launch(factory)` runs work; subclasses draw results.

    Subclasses place `controls` in their layout and implement `_on_progress(record)` and
    `_on_result(result)` (and `_on_partial(partial)` where a cancelled run leaves something worth
    keeping); `done(object)` is emitted after a result is drawn, `stopped()` after a cancel or a
    failure.
    """

    done = Signal(object)
    stopped = Signal()

    def __init__(self, workspace: Workspace, run_text: str, parent: QWidget | None = None) -> None:
        super().__init__(run_text, message_name=f"{type(self).__name__}Message",
                         shutdown_ms=30_000, parent=parent)
        self.workspace = workspace
        self.controls.run_button.clicked.connect(self.run)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(lambda _message: self.stopped.emit())
        self.runner.cancelled.connect(self._on_cancelled)

    def run(self) -> JobRunner | None:
        """Start the panel's work (subclasses build the factory in `_factory`); the runner, or
        None when nothing started."""
        if self.runner.busy:
            return None
        try:
            factory = self._factory()
        except Exception as exc:  # noqa: BLE001 - no dataset, wrong env, bad form values
            self.message.show_message(str(exc), "error")
            return None
        return self.launch(factory)

    def launch(self, factory: WorkFactory) -> JobRunner:
        """Run `factory` on the panel's runner."""
        self.message.show_message("")
        self.runner.start(factory)
        return self.runner

    def open_inputs(self, *, policy: bool) -> tuple[DemoDataset, Policy | None]:
        """The workspace's dataset and (when asked) its policy for the dataset's env; ValueError
        names what's missing, DatasetError or CheckpointError what does not open."""
        workspace = self.workspace
        if workspace.dataset_path is None:
            raise ValueError("Choose a dataset (Datasets tab) first.")
        if workspace.dataset_error is not None:
            raise workspace.dataset_error
        dataset = workspace.dataset
        assert dataset is not None  # a selected path holds a dataset or an error
        if not policy:
            return dataset, None
        if workspace.policy_path is None:
            raise ValueError("Choose a policy (Train or Watch tab) first.")
        return dataset, workspace.policy_for(dataset.env_id)

    # -- for subclasses -----------------------------------------------------------------------

    def _lay_out(self, intro: str, fields: list[QWidget], body: QWidget | QLayout) -> None:
        """Top to bottom: the intro line, the fields in a row, Run/Cancel, the body (which
        takes the spare height), and `self.summary`, a word-wrapped label made here."""
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        row = QHBoxLayout()
        for widget in fields:
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(intro))
        layout.addLayout(row)
        layout.addWidget(self.controls)
        if isinstance(body, QLayout):
            layout.addLayout(body, 1)
        else:
            layout.addWidget(body, 1)
        layout.addWidget(self.summary)

    def _factory(self) -> WorkFactory:
        raise NotImplementedError

    def _on_progress(self, record: Any) -> None:
        raise NotImplementedError

    def _on_result(self, result: Any) -> None:
        raise NotImplementedError

    def _on_partial(self, partial: Any) -> None:
        """What a cancelled run returned; most panels have nothing to keep."""

    # -- runner signals -----------------------------------------------------------------------

    def _on_finished(self, result: Any) -> None:
        try:
            self._on_result(result)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be drawn is a message
            self.message.show_message(f"Cannot show the result: {exc}", "error")
            self.stopped.emit()
            return
        self.done.emit(result)

    def _on_cancelled(self, partial: Any) -> None:
        if partial is not None:
            self._on_partial(partial)
        self.stopped.emit()
