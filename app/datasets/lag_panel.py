"""Datasets tab, reaction lag: how late the recording's demonstrator reacts, and the shift to
train with.

`models.lag_estimate.estimate_lag` runs in the background; the plot shows the agreement of the
recorded actions with the reference's at each shift, the best shift marked. "Use in Train"
hands that shift to the Train form's action_shift (through `shift_chosen`).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.plot_style import integer_axis, legend_below
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.lag_estimate import LagConfig, LagEstimate, LagProgress, estimate_lag

_REFERENCE_TEXT = {"expert": "the scripted expert's actions on earlier observations",
                   "clone": "quick clones trained at each shift, on held-out episodes"}


class LagPlot(pg.PlotWidget):
    """Agreement against shift, the suggested shift marked with a dashed line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Agreement with the reference at each action shift")
        self.setBackground("w")
        self.showGrid(x=True, y=True, alpha=0.3)
        self.setLabel("bottom", "action shift (steps the actions lag the observations)")
        self.setLabel("left", "agreement")
        self.setMenuEnabled(False)
        integer_axis(self)
        legend_below(self)
        self.curve = self.plot([], [], name="agreement", pen=pg.mkPen((31, 119, 180), width=2),
                               symbol="o", symbolSize=7, symbolBrush=(31, 119, 180))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen((214, 39, 40), width=2,
                                                             style=Qt.PenStyle.DashLine))
        self.marker.hide()
        self.addItem(self.marker)
        # A legend entry for the marker: an empty curve with its pen.
        self.plot([], [], name="suggested shift",
                  pen=pg.mkPen((214, 39, 40), width=2, style=Qt.PenStyle.DashLine))

    def show_estimate(self, estimate: LagEstimate | None) -> None:
        """Draw `estimate` (None clears the plot)."""
        if estimate is None:
            self.curve.setData([], [])
            self.marker.hide()
            return
        self.curve.setData(list(estimate.shifts), list(estimate.agreement))
        self.marker.setValue(estimate.best_shift)
        self.marker.show()
        self.setYRange(max(0.0, min(estimate.agreement) - 0.05), 1.02)


class LagPanel(TaskPanel):
    """Estimate the reaction lag of the workspace's dataset; offer the shift to the Train form."""

    shift_chosen = Signal(int)
    """The suggested shift, when the person presses "Use in Train"."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Estimate", parent)
        self.form = ConfigForm(LagConfig, skip=("seed",),
                               labels={"max_shift": "Largest shift",
                                       "clone_steps": "Clone steps"})
        self.plot = LagPlot()
        self.result: LagEstimate | None = None
        self.use_button = QPushButton("Use in Train")
        self.use_button.setToolTip("Set the Train form's action shift to the suggested shift")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._on_use_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        self._lay_out("People react to what they saw a moment ago. The shift at which the "
                      "recorded actions agree best with a reference is their lag: train with "
                      "it as the action shift to undo it.", [self.form], self.plot)
        self.layout().addLayout(buttons)
        workspace.dataset_changed.connect(self._on_dataset_changed)

    def _factory(self) -> WorkFactory:
        config = self.form.config()
        dataset, _ = self.open_inputs(policy=False)
        if not len(dataset.episode_ids):
            raise ValueError("The dataset has no episodes yet.")
        self._clear()
        return lambda cancel: estimate_lag(config, dataset, cancel=cancel)

    def _on_progress(self, record: LagProgress) -> None:
        self.controls.set_progress(record.done, record.total)
        self.controls.set_status(record.stage)

    def _on_result(self, result: LagEstimate) -> None:
        self.result = result
        self.plot.show_estimate(result)
        self.use_button.setEnabled(True)
        self.use_button.setText(f"Use shift {result.best_shift} in Train")
        self.summary.setText(
            f"Suggested action shift: {result.best_shift} steps (agreement "
            f"{result.agreement[result.best_shift]:.0%}, against "
            f"{result.agreement[0]:.0%} unshifted), from {result.steps} steps compared with "
            f"{_REFERENCE_TEXT[result.reference]}.")

    def _on_dataset_changed(self, *_: Any) -> None:
        self.runner.drop()  # an estimate of the dataset before never arrives
        self._clear()

    def _clear(self) -> None:
        self.result = None
        self.plot.show_estimate(None)
        self.use_button.setEnabled(False)
        self.use_button.setText("Use in Train")
        self.summary.setText("")

    def _on_use_clicked(self) -> None:
        if self.result is not None:
            self.shift_chosen.emit(self.result.best_shift)
