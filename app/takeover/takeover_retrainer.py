"""Retraining between takeover rounds on a worker thread: commit, aggregate, train an ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from clonelab.app.widgets.job_runner import JobRunner
from clonelab.models.failures.ensemble import EnsembleProgress
from clonelab.models.failures.ood import CalibratedScore
from clonelab.models.failures.rounds import RoundsConfig
from clonelab.models.failures.takeover_training import retrain
from clonelab.recorder.dataset import DemoDataset


class Retrainer(QObject):
    """Runs `models.failures.takeover_training.retrain` on a `JobRunner`, one run at a time.

    Signals: `progress(str)` (a line for the status bar), `done(Retrained | None, int)` (None
    when the run trained no clone; the int is how many episodes were committed), `failed(str)`.
    After `cancel()` the run reports nothing more.
    """

    progress = Signal(str)
    done = Signal(object, int)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = JobRunner(self)
        self._runner.progress.connect(self._on_progress)
        self._runner.finished.connect(lambda result: self.done.emit(result, self._runner.tag))
        self._runner.failed.connect(self.failed)

    @property
    def busy(self) -> bool:
        """Whether a run is under way (until its result has been delivered)."""
        return self._runner.busy

    def start(self, config: RoundsConfig, demos: DemoDataset, takeovers: Path,
              episodes: Sequence[Any], *, tags: Sequence[str],
              first_scores: Sequence[CalibratedScore]) -> None:
        """Commit `episodes` to the takeover dataset at `takeovers` and train, in the
        background."""
        if self.busy:
            raise RuntimeError("Retrainer: a retraining is already running")
        episodes, tags, first_scores = tuple(episodes), tuple(tags), tuple(first_scores)
        # The tag is how many episodes the run commits, which `done` reports.
        self._runner.start(lambda cancel: retrain(
            config, demos, takeovers, episodes, tags=tags, first_scores=first_scores,
            cancel=cancel.is_set), tag=len(episodes))

    def cancel(self) -> None:
        """Stop a run and wait for its thread (shutdown); no `done` follows."""
        self._runner.shutdown(5000)

    def _on_progress(self, record: EnsembleProgress) -> None:
        self.progress.emit(f"Retraining: member {record.member + 1} of {record.members}, "
                           f"step {record.train.step}")
