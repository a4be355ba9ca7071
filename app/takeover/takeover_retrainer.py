"""Retraining between takeover rounds on a worker thread: commit, aggregate, train an ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from clonelab.app.widgets.workers import GeneratorWorker
from clonelab.models.failures.ensemble import EnsembleProgress
from clonelab.models.failures.ood import CalibratedScore
from clonelab.models.failures.takeover_training import RetrainConfig, retrain
from clonelab.recorder.dataset import DemoDataset


class Retrainer(QObject):
    """Runs `models.failures.takeover_training.retrain` on a `GeneratorWorker`, one run at a time.

    Signals: `progress(str)` (a line for the status bar), `done(Retrained | None, int)` (None
    when cancelled; the int is how many episodes were committed), `failed(str)`.
    """

    progress = Signal(str)
    done = Signal(object, int)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: GeneratorWorker | None = None

    @property
    def busy(self) -> bool:
        """Whether a run is under way (until its result has been delivered)."""
        # Not `worker.is_running()`: the thread outlives its `finished` signal by a moment.
        return self._worker is not None

    def start(self, config: RetrainConfig, demos: DemoDataset, takeovers: DemoDataset,
              episodes: Sequence[Any], *, tags: Sequence[str],
              first_scores: Sequence[CalibratedScore]) -> None:
        """Commit `episodes` to `takeovers` and train, in the background."""
        if self.busy:
            raise RuntimeError("Retrainer: a retraining is already running")
        episodes, tags, first_scores = tuple(episodes), tuple(tags), tuple(first_scores)
        worker = GeneratorWorker(lambda cancel: retrain(
            config, demos, takeovers, episodes, tags=tags, first_scores=first_scores,
            cancel=cancel.is_set), parent=self)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(lambda result: self._finish(result, len(episodes)))
        worker.cancelled.connect(lambda: self._finish(None, 0))
        worker.failed.connect(self._on_failed)
        self._worker = worker
        worker.start()

    def cancel(self) -> None:
        """Stop a run and wait for its thread (shutdown)."""
        if self._worker is not None:
            self._worker.stop(5000)
        self._worker = None

    def _on_progress(self, record: EnsembleProgress) -> None:
        self.progress.emit(f"Retraining: member {record.member + 1} of {record.members}, "
                           f"step {record.train.step}")

    def _finish(self, result: Any, committed: int) -> None:
        self._worker = None
        self.done.emit(result, committed)

    def _on_failed(self, message: str) -> None:
        self._worker = None
        self.failed.emit(message)
