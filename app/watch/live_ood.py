"""The Watch view's OOD timeline: each state the policy reaches, rated as the episode plays.

The OOD score is fitted on the state's dataset (when it holds demos of the env being watched)
on a `JobRunner`; rating one state against it and the policy's uncertainty in it cost a few
milliseconds (a Pong frame is compared pooled: 4-6 ms on 2 busy cores, where the whole frame
took 0.1-0.2 s), so those run per step on the UI thread.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from clonelab.app.watch.ood_plot import OodPlot
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.models.failures.ood import CalibratedScore, TooFewStates
from clonelab.models.failures.ood_timeline import (
    OOD_THRESHOLD,
    OodTimeline,
    demo_ood,
    departure_text,
    input_uncertainty,
    policy_uncertainty,
)
from clonelab.models.observations import ObservationHistory
from clonelab.models.policy import Policy
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dict_observations import flatten_observation

log = logging.getLogger(__name__)


class LiveOodPlot(OodPlot):
    """An `OodPlot` that grows by one step per state the watched policy reaches."""

    fitted = Signal(str)  # a one-line note on the OOD score now in use (or why there is none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.score: CalibratedScore | None = None
        self._note = "No dataset: the OOD score needs demos of this env (Datasets tab)."
        # A new dataset or env replaces the running fit.
        self._runner.finished.connect(self._on_fitted)
        self._runner.failed.connect(self._on_fit_failed)
        self._ood: list[float] = []
        self._uncertainty: list[float] = []
        # States reached while no score was fitted yet, rated when the fit ends (by index): a
        # policy that starts outside the demos must not go unseen for the fit's second.
        self._unrated: dict[int, np.ndarray] = {}
        self._name = "uncertainty"
        self._start = "This episode"
        # The episode's observation history, as the agent acting in it keeps one.
        self._history: tuple[Policy, ObservationHistory] | None = None

    def fit(self, dataset: DemoDataset | None, env_id: str) -> JobRunner | None:
        """Fit the OOD score on the dataset's demos in the background (None: no score).

        The states of the running episode rated against the previous score are not rated now.
        """
        self.cancel()
        self.score = None
        self._ood = [math.nan] * len(self._ood)
        self._unrated.clear()
        self._redraw()
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

    def start_episode(self, start: str = "This episode") -> None:
        """Clear the timeline for a new episode; `start` says where it starts ("From seed 7"),
        since a start the demos never showed is out of their states from step 0."""
        self._start = start
        self._history = None
        self._ood.clear()
        self._uncertainty.clear()
        self._unrated.clear()
        self.set_timeline(None)
        self.setTitle(self._note)

    def add_state(self, policy: Any, observation: Any) -> None:
        """Rate one state the policy reached and extend the timeline."""
        # A Dict observation is rated and read as the flat vector the policy reads.
        observation = flatten_observation(policy.spec.observation_space, observation)
        if self.score is not None:
            self._ood.append(self.score.score_one(observation))
        else:
            self._unrated[len(self._ood)] = observation.copy()
            self._ood.append(math.nan)
        values, self._name = self._uncertainty_of(policy, observation)
        self._uncertainty.append(float(values[0]))
        self._redraw()
        self.set_cursor(len(self._ood) - 1)

    def _uncertainty_of(self, policy: Any, observation: np.ndarray) -> tuple[np.ndarray, str]:
        """The policy's uncertainty on the input it acts on here: this step with the
        episode's history before it."""
        if not isinstance(policy, Policy):
            return policy_uncertainty(policy, observation[None])  # an ensemble: no history
        if self._history is None or self._history[0] is not policy:
            spec = policy.spec
            self._history = (policy, ObservationHistory(spec.pipeline, spec.observation_space,
                                                        policy.device))
        return input_uncertainty(policy, self._history[1].push(observation[None]))

    def _redraw(self) -> None:
        if not self._ood:
            return
        self.set_timeline(OodTimeline(ood=np.array(self._ood),
                                      uncertainty=np.array(self._uncertainty),
                                      uncertainty_name=self._name))
        if self.score is None:
            self.setTitle(self._note)
        else:
            self.setTitle(f"{self._start}: the policy "
                          f"{departure_text(self.departure, so_far=True)}")

    def _set_note(self, note: str) -> None:
        self._note = note
        if self.timeline is None or self.score is None:
            self.setTitle(note)
        self.fitted.emit(note)

    def _on_fitted(self, score: CalibratedScore | str) -> None:
        if isinstance(score, str):
            self._set_note(score)
            return
        self.score = score
        for index, observation in self._unrated.items():
            self._ood[index] = score.score_one(observation)
        self._unrated.clear()
        self._redraw()
        self._set_note(f"Within the demos' states so far (OOD score ≤ {OOD_THRESHOLD:g})")

    def _on_fit_failed(self, message: str) -> None:
        log.info("no OOD score for the Watch view: %s", message)
        self._set_note(f"No OOD score: {message}")
