"""The Compare view's OOD timeline: the clone's run from the demo's start, rated off the UI thread.

Fitting the OOD score on the dataset and rolling the clone out can take seconds, so both run on
a `JobRunner`; the fitted score is kept for the next episode of the same dataset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from clonelab.app.watch.ood_plot import OodPlot
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.models.failures.ood import CalibratedScore, TooFewStates
from clonelab.models.failures.ood_timeline import (
    OodTimeline,
    clone_timeline,
    demo_ood,
    departure_text,
)
from clonelab.recorder.dataset import DemoDataset, EpisodeData
from clonelab.recorder.dataset_chunks import StoredEpisode


class CloneOodPlot(OodPlot):
    """An `OodPlot` that computes the clone's timeline for a demo episode in the background."""

    ready = Signal(object)  # the OodTimeline just drawn

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._score: CalibratedScore | None = None
        # A new episode or clone replaces the running computation.
        self._runner.finished.connect(self._on_done)
        self._runner.failed.connect(self._on_failed)

    def forget_dataset(self) -> None:
        """The dataset changed: fit the OOD score again next time."""
        self._score = None

    def compute(self, policy: Any, dataset: DemoDataset, episode: EpisodeData | StoredEpisode, *,
                deterministic: bool, steps: int) -> JobRunner:
        """Rate the clone's states from `episode`'s start; any earlier computation is dropped."""
        score = self._score
        self.set_timeline(None)
        self.setTitle("OOD score of the clone's states: computing...")

        def work(_cancel: Any) -> Any:
            try:
                fitted = demo_ood(dataset) if score is None else score
            except TooFewStates as exc:  # a one-step dataset: normal, not a failure
                return f"No OOD timeline: {exc}."
            return fitted, clone_timeline(policy, dataset, episode, deterministic=deterministic,
                                          ood=fitted)

        self._runner.start(work, tag=steps, replace=True)
        return self._runner

    def _on_done(self, result: tuple[CalibratedScore, OodTimeline] | str) -> None:
        if isinstance(result, str):
            self.setTitle(result)
            return
        score, timeline = result
        self._score = score
        self.set_timeline(timeline, steps=self._runner.tag)
        self.setTitle(f"From the demo's start: the clone {departure_text(timeline.departure)}")
        self.ready.emit(timeline)

    def _on_failed(self, message: str) -> None:
        self.setTitle(f"No OOD timeline: {message}")
