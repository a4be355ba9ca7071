"""A timeline of the OOD score (left axis) and the policy's uncertainty (right axis) per step.

Steps above the OOD threshold are marked red; the first one, where the clone leaves the demos'
distribution, gets a labelled line and a large marker.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.plot_style import integer_axis, legend_below
from clonelab.models.failures.ood_timeline import OOD_THRESHOLD, Departure, OodTimeline

_OOD = (31, 119, 180)
_UNCERTAINTY = (230, 126, 34)
_ABOVE = (214, 39, 40)


class OodPlot(pg.PlotWidget):
    """OOD score and uncertainty along an episode, the threshold, and the first OOD step.

    Subclasses compute in the background on `_runner`, one computation at a time.
    """

    def __init__(self, parent: QWidget | None = None, *, max_height: int = 190) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.setMaximumHeight(max_height)
        self.timeline: OodTimeline | None = None
        self._runner = JobRunner(self)
        item = self.getPlotItem()
        item.setLabel("left", "OOD score", color=_OOD)
        item.setLabel("bottom", "step")
        item.showAxis("right")
        for side in ("left", "right"):  # "entropy", not "entropy (x0.001)"
            item.getAxis(side).enableAutoSIPrefix(False)
        self._right = pg.ViewBox()
        self._right.setMouseEnabled(x=False, y=False)
        item.scene().addItem(self._right)
        item.getAxis("right").linkToView(self._right)
        self._right.setXLink(item)
        item.vb.sigResized.connect(self._on_view_resized)
        integer_axis(item, "bottom", minimum=0)
        legend = legend_below(item)
        self.ood_curve = self.plot(pen=pg.mkPen(_OOD, width=2), name="OOD score")
        self.above_marks = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(_ABOVE), pen=None,
                                              name="above threshold")
        self.addItem(self.above_marks)  # named: the legend lists it
        self.uncertainty_curve = pg.PlotDataItem(pen=pg.mkPen(_UNCERTAINTY, width=1.5))
        self._right.addItem(self.uncertainty_curve)
        legend.addItem(self.uncertainty_curve, "uncertainty")
        self._legend = legend
        self.threshold_line = pg.InfiniteLine(
            pos=OOD_THRESHOLD, angle=0, pen=pg.mkPen((120, 120, 120), style=Qt.PenStyle.DotLine))
        self.addItem(self.threshold_line)
        self.first_line = pg.InfiniteLine(
            pos=0, angle=90, label="leaves the demos",
            pen=pg.mkPen(_ABOVE, width=2, style=Qt.PenStyle.DashLine),
            labelOpts={"position": 0.85, "color": _ABOVE, "fill": (255, 255, 255, 220),
                       "anchors": [(-0.05, 0.5), (-0.05, 0.5)]})
        self.first_mark = pg.ScatterPlotItem(size=14, symbol="star", brush=pg.mkBrush(_ABOVE),
                                             pen=pg.mkPen((90, 0, 0)))
        self.cursor = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen((60, 60, 60), width=1))
        self.addItem(self.cursor)

    def _on_view_resized(self) -> None:
        box = self.getPlotItem().vb
        self._right.setGeometry(box.sceneBoundingRect())
        self._right.linkedViewChanged(box, self._right.XAxis)

    @property
    def departure(self) -> Departure | None:
        """Where the episode left the demos' states (one definition for Watch and Compare)."""
        return None if self.timeline is None else self.timeline.departure

    def cancel(self, wait_ms: int = 0) -> None:
        """Drop the running computation (waiting up to `wait_ms` for its thread)."""
        if wait_ms:
            self._runner.shutdown(wait_ms)
        else:
            self._runner.drop()

    def set_timeline(self, timeline: OodTimeline | None, *, steps: int | None = None) -> None:
        """Draw a timeline (None clears the plot); `steps` fixes the x range (else its length)."""
        self.timeline = timeline
        for item in (self.first_line, self.first_mark):
            if item.scene() is not None:
                self.removeItem(item)
        if timeline is None or len(timeline.ood) == 0:
            self.ood_curve.setData([], [])
            self.above_marks.setData([], [])
            self.uncertainty_curve.setData([], [])
            return
        x = np.arange(len(timeline.ood))
        self.ood_curve.setData(x, timeline.ood)
        above = timeline.above
        self.above_marks.setData(above, timeline.ood[above])
        self.uncertainty_curve.setData(np.arange(len(timeline.uncertainty)),
                                       timeline.uncertainty)
        self.getPlotItem().setLabel("right", timeline.uncertainty_name, color=_UNCERTAINTY)
        self._legend.items[-1][1].setText(timeline.uncertainty_name)
        departure = timeline.departure
        if departure is not None:
            first = departure.step
            self.first_line.setValue(first)
            self.first_line.label.setFormat("starts outside the demos" if first == 0 else
                                            f"leaves the demos: step {first}")
            self.first_mark.setData([first], [departure.score])
            self.addItem(self.first_line)
            self.addItem(self.first_mark)
        length = max(steps or 0, len(x))
        self.setXRange(-0.5, max(length - 0.5, 1.0), padding=0.01)
        top = float(np.nanmax(timeline.ood)) if np.isfinite(timeline.ood).any() else 1.0
        self.setYRange(0, max(2.0 * timeline.threshold, top * 1.05), padding=0.02)
        finite = timeline.uncertainty[np.isfinite(timeline.uncertainty)]
        self._right.setYRange(0, max(float(finite.max()) * 1.1 if len(finite) else 1.0, 1e-3),
                              padding=0.02)

    def set_cursor(self, step: int) -> None:
        """Move the current-step line."""
        self.cursor.setValue(step)
