"""The Watch view's OOD timeline: each state the policy reaches, rated as the episode plays.

The OOD score is fitted on the state's dataset (when it holds demos of the env being watched)
on a `JobRunner`; rating one state against it and the policy's uncertainty in it cost
about a millisecond, so those run per step on the UI thread.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from clonelab.app.watch.ood_plot import OodPlot
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.models.failures.ood import CalibratedScore, TooFewStates
from clonelab.models.failures.ood_timeline import OodTimeline, demo_ood, policy_uncertainty
from clonelab.recorder.dataset import DemoDataset

log = logging.getLogger(__name__)


class LiveOodPlot(OodPlot):
    """An `OodPlot` that grows by one step per state the watched policy reaches."""

    fitted = Signal(str)  # a one-line note on the OOD score now in use (or why there is none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.score: CalibratedScore | None = None
        self._note = "No dataset: the OOD score needs demos of this env (Datasets tab)."
        # One fit at a time: a new dataset or env replaces the running fit.
        self._runner = JobRunner(self)
        self._runner.finished.connect(self._on_fitted)
        self._runner.failed.connect(self._on_fit_failed)
        self._ood: list[float] = []
        self._uncertainty: list[float] = []
        self._name = "uncertainty"

    def fit(self, dataset: DemoDataset | None, env_id: str) -> JobRunner | None:
        """Fit the OOD score on the dataset's demos in the background (None: no score)."""
        self.cancel()
        self.score = None
        if dataset is None:
            self._set_note("No dataset: the OOD score needs demos of this env (Datasets tab).")
            return None

        def work(_cancel: Any) -> Any:
            if dataset.env_id != env_id:  # expected while the user switches env and dataset
                return f"No OOD score: the dataset holds {dataset.env_id} demos, not {env_id}."
            try:
                return demo_ood(dataset)
            except TooFewStates as exc:  # a new or one-step dataset: normal, not a failure
                return f"{exc}."

        self._runner.start(work, replace=True)
        self._set_note("Fitting the OOD score on the demos...")
        return self._runner

    def cancel(self, wait_ms: int = 0) -> None:
        """Drop a running fit (waiting up to `wait_ms` for its thread)."""
        if wait_ms:
            self._runner.shutdown(wait_ms)
        else:
            self._runner.drop()

    def start_episode(self) -> None:
        """Clear the timeline for a new episode."""
        self._ood.clear()
        self._uncertainty.clear()
        self.set_timeline(None)
        self.setTitle(self._note)

    def add_state(self, policy: Any, observation: Any) -> None:
        """Rate one state the policy reached and extend the timeline."""
        batch = np.asarray(observation)[None]
        self._ood.append(self.score.score_one(observation) if self.score is not None
                         else float("nan"))
        values, self._name = policy_uncertainty(policy, batch)
        self._uncertainty.append(float(values[0]))
        timeline = OodTimeline(ood=np.array(self._ood), uncertainty=np.array(self._uncertainty),
                               uncertainty_name=self._name)
        self.set_timeline(timeline)
        self.set_cursor(len(self._ood) - 1)
        first = timeline.first_ood
        if first is not None:
            self.setTitle(f"Left the demos' states at step {first} "
                          f"(OOD score {timeline.ood[first]:.2f} > 1)")
        else:
            self.setTitle(self._note)

    def _set_note(self, note: str) -> None:
        self._note = note
        if self.timeline is None or self.timeline.first_ood is None:
            self.setTitle(note)
        self.fitted.emit(note)

    def _on_fitted(self, score: CalibratedScore | str) -> None:
        if isinstance(score, str):
            self._set_note(score)
            return
        self.score = score
        self._set_note("Within the demos' states so far (OOD score ≤ 1)")

    def _on_fit_failed(self, message: str) -> None:
        log.info("no OOD score for the Watch view: %s", message)
        self._set_note(f"No OOD score: {message}")
