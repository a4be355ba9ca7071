"""A panel that runs one long piece of work at a time in the background, with Run and Cancel.

The Failures tab's panels (compounding error, subsets, DAgger) share this: a Run button that
starts a `GeneratorWorker`, Cancel, a progress line, and a message line for errors, so no
failure of the work ever reaches the window's exception hook.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.workers import GeneratorWorker, WorkFactory
from clonelab.app.window.state import AppState
from clonelab.models.checkpoint import load_policy
from clonelab.models.policy import Policy
from clonelab.recorder.dataset import DemoDataset


class TaskPanel(QWidget):
    """Base of the Failures tab's panels: `launch(factory)` runs work; subclasses draw results.

    Subclasses implement `_on_progress(record)` and `_on_result(result)`; `done(object)` is
    emitted after a result is drawn, `stopped()` after a cancel or a failure.
    """

    done = Signal(object)
    stopped = Signal()

    def __init__(self, state: AppState, run_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.worker: GeneratorWorker | None = None
        self.run_button = QPushButton(run_text)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_label = QLabel()
        self.message = MessageLine(f"{type(self).__name__}Message")

    def button_row(self) -> QHBoxLayout:
        """Run, Cancel and the progress line, for the subclass's layout."""
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress_label, 1)
        return row

    def run(self) -> GeneratorWorker | None:
        """Start the panel's work (subclasses build the factory in `_factory`)."""
        if self.worker is not None:
            return None
        try:
            factory = self._factory()
        except Exception as exc:  # noqa: BLE001 - no dataset, wrong env, bad form values
            self.message.show_message(str(exc), "error")
            return None
        return self.launch(factory)

    def launch(self, factory: WorkFactory) -> GeneratorWorker:
        """Run `factory` on a worker thread, wired to the panel."""
        self.message.show_message("")
        worker = GeneratorWorker(factory, self)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._finished)
        worker.failed.connect(self._failed)
        worker.cancelled.connect(self._cancelled)
        self.worker = worker
        self._set_running(True)
        worker.start()
        return worker

    def cancel(self) -> None:
        """Ask the running work to stop."""
        if self.worker is not None:
            self.worker.cancel()
            self.progress_label.setText("Cancelling...")

    def shutdown(self) -> None:
        """Stop the work and wait for its thread (the view is going away)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(30_000)

    def open_inputs(self, *, policy: bool) -> tuple[DemoDataset, Policy | None]:
        """The state's dataset and (when asked) its policy, loaded; ValueError names what's
        missing."""
        if self.state.dataset_path is None:
            raise ValueError("Choose a dataset (Datasets tab) first.")
        dataset = DemoDataset.open(self.state.dataset_path)
        if not policy:
            return dataset, None
        if self.state.policy_path is None:
            raise ValueError("Choose a policy (Train or Watch tab) first.")
        return dataset, load_policy(self.state.policy_path, env_id=dataset.env_id)

    # -- for subclasses -----------------------------------------------------------------------

    def _factory(self) -> WorkFactory:
        raise NotImplementedError

    def _on_progress(self, record: Any) -> None:
        raise NotImplementedError

    def _on_result(self, result: Any) -> None:
        raise NotImplementedError

    # -- worker signals -----------------------------------------------------------------------

    def _finished(self, result: Any) -> None:
        self.worker = None
        self._set_running(False)
        self.progress_label.setText("Done.")
        try:
            self._on_result(result)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be drawn is a message
            self.message.show_message(f"Cannot show the result: {exc}", "error")
            self.stopped.emit()
            return
        self.done.emit(result)

    def _failed(self, message: str) -> None:
        self.worker = None
        self._set_running(False)
        self.progress_label.setText("")
        self.message.show_message(message, "error")
        self.stopped.emit()

    def _cancelled(self) -> None:
        self.worker = None
        self._set_running(False)
        self.progress_label.setText("Cancelled.")
        self.stopped.emit()

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
