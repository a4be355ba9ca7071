"""A strip under the Compare panes: where the clone's action differs from the demo's, per step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.plot_style import integer_axis
from clonelab.models.failures.compare import ActionComparison

_AGREE = (46, 139, 87)
_DISAGREE = (214, 39, 40)


class DivergencePlot(pg.PlotWidget):
    """One bar per demo step (green: same action, red: different), a cursor and a divergence line.

    For Box actions the bar height is the gap as a share of the action range.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.setLabel("left", "gap")
        self.setLabel("bottom", "step")
        integer_axis(self, minimum=0)
        self.setMaximumHeight(150)
        self._bars: pg.BarGraphItem | None = None
        self.cursor = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen((60, 60, 60), width=2))
        self.divergence = pg.InfiniteLine(
            pos=0, angle=90, label="first divergence",
            pen=pg.mkPen(_DISAGREE, width=2, style=Qt.PenStyle.DashLine),
            labelOpts={"position": 0.8, "color": _DISAGREE, "fill": (255, 255, 255, 220),
                       "anchors": [(-0.05, 0.5), (-0.05, 0.5)]},
        )
        self.addItem(self.cursor)

    def set_comparison(self, comparison: ActionComparison | None) -> None:
        """Draw a comparison (None clears the strip)."""
        if self._bars is not None:
            self.removeItem(self._bars)
            self._bars = None
        if self.divergence.scene() is not None:
            self.removeItem(self.divergence)
        if comparison is None or len(comparison.distances) == 0:
            return
        steps = np.arange(len(comparison.distances))
        heights = np.maximum(comparison.distances, 0.02)  # agreeing steps still show a sliver
        brushes = [pg.mkBrush(_AGREE if ok else _DISAGREE) for ok in comparison.agree]
        self._bars = pg.BarGraphItem(x=steps, height=heights, width=1.0, brushes=brushes,
                                     pen=pg.mkPen(None))
        self.addItem(self._bars)
        if comparison.first_divergence is not None:
            self.divergence.setValue(comparison.first_divergence)
            self.addItem(self.divergence)
        self.setXRange(-0.5, len(steps) - 0.5, padding=0.01)
        self.setYRange(0, max(1.0, float(heights.max())), padding=0.05)

    def set_cursor(self, step: int) -> None:
        """Move the current-step line."""
        self.cursor.setValue(step)
