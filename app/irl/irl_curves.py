"""Plots of adversarial IRL: live training curves, and the learned reward along an episode."""

from __future__ import annotations

import logging
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.plot_style import legend_below
from clonelab.models.irl.adversarial import IRLProgress

log = logging.getLogger(__name__)

BLUE, RED, GREEN = (31, 119, 180), (214, 39, 40), (44, 160, 44)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


class IrlCurves(pg.GraphicsLayoutWidget):
    """Discriminator loss and accuracy, the policy's true return and the learned reward
    against env steps, one point per progress record."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.loss_plot = self._plot(0, 0, "Discriminator loss", "binary cross-entropy")
        self.accuracy_plot = self._plot(0, 1, "Discriminator accuracy", "share correct")
        self.return_plot = self._plot(1, 0, "Policy return (true reward)", "episode return")
        self.reward_plot = self._plot(1, 1, "Learned reward", "mean per step")
        legend_below(self.reward_plot)
        self.curves: dict[str, pg.PlotDataItem] = {
            "disc_loss": self.loss_plot.plot(pen=pg.mkPen(BLUE, width=2)),
            "disc_accuracy": self.accuracy_plot.plot(pen=pg.mkPen(BLUE, width=2)),
            "true_return": self.return_plot.plot(pen=pg.mkPen(GREEN, width=2)),
            "learned_reward_expert": self.reward_plot.plot(pen=pg.mkPen(BLUE, width=2),
                                                           name="demos"),
            "learned_reward_policy": self.reward_plot.plot(pen=pg.mkPen(RED, width=2),
                                                           name="policy"),
        }
        self._points: dict[str, tuple[list[float], list[float]]] = {}
        self.clear_curves()

    def _plot(self, row: int, col: int, title: str, left: str) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=col, title=title)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "env steps")
        plot.setLabel("left", left)
        plot.setMenuEnabled(False)
        plot.getAxis("left").enableAutoSIPrefix(False)
        return plot

    def clear_curves(self) -> None:
        """Start a new run."""
        self._points = {name: ([], []) for name in self.curves}
        for curve in self.curves.values():
            curve.setData([], [])

    def add(self, progress: IRLProgress) -> None:
        """Append one record's values (missing or non-finite ones are skipped)."""
        for name, curve in self.curves.items():
            value = getattr(progress, name)
            if _finite(value):
                xs, ys = self._points[name]
                xs.append(progress.env_steps)
                ys.append(value)
                curve.setData(xs, ys)

    def point_count(self, name: str) -> int:
        """How many points curve `name` (an `IRLProgress` field) has."""
        return len(self._points[name][0])


class RewardTracePlot(pg.PlotWidget):
    """The learned reward (right axis) and the true reward (left axis) at each step of an
    episode: their scales differ, their shapes are what to compare."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Reward along the episode")
        self.setBackground("w")
        self.setMenuEnabled(False)
        plot = self.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "step")
        plot.setLabel("left", "true reward", color=f"rgb{GREEN}")
        plot.showAxis("right")
        plot.setLabel("right", "learned reward", color=f"rgb{RED}")
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.getAxis("right").enableAutoSIPrefix(False)
        # The coloured axis labels name the curves: a legend would sit on top of them.
        self.true_curve = plot.plot(pen=pg.mkPen(GREEN, width=2))
        # The learned reward lives in its own view box, tied to the right axis and the x range.
        self.learned_box = pg.ViewBox()
        plot.scene().addItem(self.learned_box)
        plot.getAxis("right").linkToView(self.learned_box)
        self.learned_box.setXLink(plot)
        self.learned_curve = pg.PlotDataItem(pen=pg.mkPen(RED, width=2))
        self.learned_box.addItem(self.learned_curve)
        plot.vb.sigResized.connect(self._on_view_resized)

    def _on_view_resized(self) -> None:
        self.learned_box.setGeometry(self.getPlotItem().vb.sceneBoundingRect())

    def set_trace(self, learned: np.ndarray, true: np.ndarray) -> None:
        """Show one episode's rewards, one point per step."""
        self.true_curve.setData(np.arange(len(true)), np.asarray(true, dtype=np.float64))
        self.learned_curve.setData(np.arange(len(learned)),
                                   np.asarray(learned, dtype=np.float64))
        self.learned_box.enableAutoRange()
        self.getPlotItem().enableAutoRange()
