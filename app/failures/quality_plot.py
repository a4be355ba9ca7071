"""Mixed quality's plot: the three clones' learning curves (return against training step) side
by side, each clone's final evaluation a diamond at its last step, the demos' mean a line."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from clonelab.app.failures.failure_plots import style_plot
from clonelab.app.widgets.plot_style import integer_axis, legend_below
from clonelab.models.failures.quality import ARMS, QualityComparison

_COLOURS = {"all": (127, 127, 127), "best half": (31, 119, 180), "weighted": (214, 39, 40)}


class QualityPlot(pg.PlotWidget):
    """Return against training step for the clones of `ARMS`; points arrive as they train."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Clones on all the demos, the best half, and weighted")
        style_plot(self, "clone's return", "training step")
        integer_axis(self, minimum=0)
        self.points: dict[str, list[tuple[int, float]]] = {}
        self.reset()

    def reset(self) -> None:
        """Empty curves for a new run."""
        self.clear()
        legend_below(self)
        self.points = {label: [] for label in ARMS}
        self.curves = {label: self.plot(pen=pg.mkPen(_COLOURS[label], width=3), symbol="o",
                                        symbolSize=5, symbolBrush=pg.mkBrush(_COLOURS[label]),
                                        name=label)
                       for label in ARMS}

    def add_point(self, label: str, step: int, value: float) -> None:
        """One point of `label`'s learning curve (a progress record's return)."""
        self.points[label].append((step, value))
        steps, values = zip(*self.points[label], strict=True)
        self.curves[label].setData(np.array(steps), np.array(values))

    def show_comparison(self, comparison: QualityComparison) -> None:
        """Draw a finished (or cancelled) comparison: every curve, each final evaluation."""
        self.reset()
        for index, arm in enumerate(comparison.arms):
            for step, value in zip(arm.curve_steps, arm.curve_returns, strict=True):
                self.add_point(arm.label, step, value)
            last = arm.curve_steps[-1] if arm.curve_steps else 0
            self.plot([last], [arm.clone_return_mean], pen=None, symbol="d", symbolSize=14,
                      symbolBrush=pg.mkBrush(_COLOURS[arm.label]),
                      symbolPen=pg.mkPen((40, 40, 40)),
                      name=None if index else "kept clone on the evaluation starts")
        dashed = pg.mkPen((90, 90, 90), style=Qt.PenStyle.DashLine)
        self.addItem(pg.InfiniteLine(comparison.demo_return_mean, angle=0, pen=dashed,
                                     label="demos' mean", labelOpts={"position": 0.05}))
