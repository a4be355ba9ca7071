"""Failures tab, compounding error: the clone from each demo's start, drifting from the demo.

Next to the drift curve: the clone's accuracy on the demos' states against its agreement with
the scripted expert on the states it reaches itself (where the env has an expert).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QWidget

from clonelab.app.failures.failure_plots import AgreementPlot, CompoundingPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.diagnostics import Diagnosis, DiagnosticsConfig, diagnose

_LABELS = {"demo_episodes": "demo episodes", "rollouts": "own episodes (vs expert)"}


class CompoundingPanel(TaskPanel):
    """Compounding error over the demos' seeds and on-policy agreement, measured on demand."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Measure", parent)
        self.form = ConfigForm(DiagnosticsConfig, skip=("rollout_seed", "tolerance"),
                               labels=_LABELS)
        self.error_plot = CompoundingPlot()
        self.agreement_plot = AgreementPlot()
        self.agreement_plot.setMaximumWidth(320)
        self.result: Diagnosis | None = None
        plots = QHBoxLayout()
        plots.addWidget(self.error_plot, 3)
        plots.addWidget(self.agreement_plot, 1)
        self._lay_out("The clone replays each demo's start; small action errors take it to "
                      "states the demos never showed, where its errors grow.",
                      [self.form], plots)

    def _factory(self) -> WorkFactory:
        config = self.form.config()
        dataset, policy = self.open_inputs(policy=True)
        assert policy is not None  # asked for
        if not len(dataset.episode_ids):
            raise ValueError("The dataset has no episodes yet.")
        return lambda cancel: diagnose(config, policy, dataset, cancel=cancel)

    def _on_progress(self, record: Any) -> None:
        self.controls.set_status(record.text)

    def _on_result(self, result: Diagnosis) -> None:
        self.result = result
        error, report = result.error, result.agreement
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
