"""The Compare view's OOD timeline: the clone's run from the demo's start, rated off the UI thread.

Fitting the OOD score on the dataset and rolling the clone out can take seconds, so both run on
a `GeneratorWorker`; the fitted score is kept for the next episode of the same dataset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from clonelab.app.watch.ood_plot import OodPlot
from clonelab.app.widgets.workers import GeneratorWorker
from clonelab.models.failures.ood import CalibratedScore
from clonelab.models.failures.ood_timeline import OodTimeline, clone_timeline, demo_ood
from clonelab.recorder.dataset import DemoDataset, EpisodeData


class CloneOodPlot(OodPlot):
    """An `OodPlot` that computes the clone's timeline for a demo episode in the background."""

    ready = Signal(object)  # the OodTimeline just drawn

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._score: CalibratedScore | None = None
        self._worker: GeneratorWorker | None = None

    def forget_dataset(self) -> None:
        """The dataset changed: fit the OOD score again next time."""
        self._score = None

    def compute(self, policy: Any, dataset: DemoDataset, episode: EpisodeData, *,
                deterministic: bool, steps: int) -> GeneratorWorker:
        """Rate the clone's states from `episode`'s start; any earlier computation is dropped."""
        score = self._score
        self.cancel()
        self.set_timeline(None)
        self.setTitle("OOD score of the clone's states: computing...")

        def work(_cancel: Any) -> Any:
            fitted = demo_ood(dataset) if score is None else score
            return fitted, clone_timeline(policy, dataset, episode, deterministic=deterministic,
                                          ood=fitted)

        worker = GeneratorWorker(work, self)
        worker.finished.connect(lambda result: self._on_done(worker, steps, *result))
        worker.failed.connect(lambda message: self._on_failed(worker, message))
        self._worker = worker
        worker.start()
        return worker

    def cancel(self, wait_ms: int = 0) -> None:
        """Drop the running computation (waiting up to `wait_ms` for its thread)."""
        if self._worker is not None:
            self._worker.stop(wait_ms)
        self._worker = None

    def _on_done(self, worker: GeneratorWorker, steps: int, score: CalibratedScore,
                 timeline: OodTimeline) -> None:
        if worker is not self._worker:
            return  # a stale result: the episode or the clone changed meanwhile
        self._worker = None
        self._score = score
        self.set_timeline(timeline, steps=steps)
        first = timeline.first_ood
        self.setTitle(
            "The clone stays within the demos' states (OOD score ≤ 1)" if first is None else
            f"The clone leaves the demos' states at step {first} "
            f"(OOD score {timeline.ood[first]:.2f} > 1)")
        self.ready.emit(timeline)

    def _on_failed(self, worker: GeneratorWorker, message: str) -> None:
        if worker is self._worker:
            self._worker = None
            self.setTitle(f"No OOD timeline: {message}")
