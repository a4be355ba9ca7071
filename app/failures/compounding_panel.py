"""Failures tab, compounding error: the clone from each demo's start, drifting from the demo.

Next to the drift curve: the clone's accuracy on the demos' states against its agreement with
the scripted expert on the states it reaches itself (where the env has an expert).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from clonelab.app.failures.failure_plots import AgreementPlot, CompoundingPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.diagnostics import (
    AgreementReport,
    CompoundingError,
    action_agreement,
    compounding_error,
)
from clonelab.recorder.experts import has_expert


class CompoundingPanel(TaskPanel):
    """Compounding error over the demos' seeds and on-policy agreement, measured on demand."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Measure", parent)
        self.episodes = QSpinBox()
        self.episodes.setRange(1, 1000)
        self.episodes.setValue(10)
        self.episodes.setToolTip("Demo episodes (the first ones) whose starts the clone replays")
        self.rollouts = QSpinBox()
        self.rollouts.setRange(1, 100)
        self.rollouts.setValue(5)
        self.rollouts.setToolTip("Episodes the clone plays on its own, labelled by the expert")
        self.error_plot = CompoundingPlot()
        self.agreement_plot = AgreementPlot()
        self.agreement_plot.setMaximumWidth(320)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.result: tuple[CompoundingError, AgreementReport | None] | None = None
        form = QHBoxLayout()
        form.addWidget(QLabel("demo episodes"))
        form.addWidget(self.episodes)
        form.addWidget(QLabel("own episodes (vs expert)"))
        form.addWidget(self.rollouts)
        form.addStretch(1)
        plots = QHBoxLayout()
        plots.addWidget(self.error_plot, 3)
        plots.addWidget(self.agreement_plot, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "The clone replays each demo's start; small action errors take it to states the "
            "demos never showed, where its errors grow."))
        layout.addLayout(form)
        layout.addWidget(self.controls)
        layout.addLayout(plots, 1)
        layout.addWidget(self.summary)

    def _factory(self) -> WorkFactory:
        dataset, policy = self.open_inputs(policy=True)
        episode_ids = tuple(dataset.episode_ids)[: self.episodes.value()]
        if not episode_ids:
            raise ValueError("The dataset has no episodes yet.")
        rollouts = self.rollouts.value()
        expert = has_expert(dataset.env_id)

        def work(cancel: Any) -> Any:
            yield f"Replaying {len(episode_ids)} demo starts with the clone..."
            error = compounding_error(policy, dataset, episode_ids=episode_ids)
            report = None
            if expert and not cancel.is_set():
                yield f"Playing {rollouts} episodes, labelled by the scripted expert..."
                report = action_agreement(policy, dataset, episodes=rollouts,
                                          episode_ids=episode_ids)
            return error, report

        return work

    def _on_progress(self, record: Any) -> None:
        self.controls.set_status(str(record))

    def _on_result(self, result: tuple[CompoundingError, AgreementReport | None]) -> None:
        self.result = result
        error, report = result
        self.error_plot.show_error(error)
        self.agreement_plot.show_report(report)
        demo = sum(error.demo_returns) / len(error.demo_returns)
        clone = sum(error.clone_returns) / len(error.clone_returns)
        text = (f"From the same {len(error.episode_ids)} starts: demos return {demo:.1f}, the "
                f"clone {clone:.1f}; final distance {error.mean[-1]:.2f}.")
        if report is None:
            text += " No scripted expert for this env, so no agreement on the clone's states."
        else:
            text += (f" The clone picks the demo's action on {report.demo_accuracy:.0%} of demo "
                     f"states and agrees with the expert on "
                     f"{report.onpolicy_agreement:.0%} of its own.")
        self.summary.setText(text)
