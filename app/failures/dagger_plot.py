"""The DAgger panel's plot: DAgger and BC against expert labels, mean and 95% band over seeds.

It fills in as seeds finish: each finished (seed, iteration) point adds a faint dot, and the mean
line and its shaded t-interval band (from two seeds on) are redrawn from every point so far.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from clonelab.app.failures.failure_plots import style_plot
from clonelab.app.widgets.plot_style import integer_axis, legend_below
from clonelab.models.failures.dagger_seeds import CurvePoint, Interval, SeedPoint, seed_curve

_SIDES = {"DAgger": (31, 119, 180), "BC, same number of labels": (230, 126, 34)}


class _Side:
    """One side's items: its seeds' dots, its band and its mean line."""

    def __init__(self, plot: pg.PlotWidget, name: str, colour: tuple[int, int, int]) -> None:
        self.dots = pg.ScatterPlotItem(size=6, pen=pg.mkPen(*colour, 110),
                                       brush=pg.mkBrush(*colour, 50))
        self.upper = pg.PlotDataItem(pen=pg.mkPen(*colour, 90))
        self.lower = pg.PlotDataItem(pen=pg.mkPen(*colour, 90))
        self.band = pg.FillBetweenItem(self.upper, self.lower, brush=pg.mkBrush(*colour, 45))
        plot.addItem(self.dots)
        # With two or three seeds the t-interval is wide (t = 12.7 for two): the band must not
        # set the axes, or it squashes the means and the dots into a line.
        for item in (self.upper, self.lower, self.band):
            plot.addItem(item, ignoreBounds=True)
        self.mean = plot.plot(pen=pg.mkPen(colour, width=3), symbol="o", symbolSize=7,
                              symbolBrush=pg.mkBrush(colour), name=f"{name}: mean, 95% band")

    def show(self, labels: np.ndarray, intervals: Sequence[Interval],
             dots: tuple[list[float], list[float]]) -> None:
        self.dots.setData(*dots)
        self.mean.setData(labels, [i.mean for i in intervals])
        # The band is drawn where two seeds give an interval; one seed draws the line alone.
        banded = [n for n, i in enumerate(intervals) if i.n >= 2]
        self.upper.setData(labels[banded], [intervals[n].high for n in banded])
        self.lower.setData(labels[banded], [intervals[n].low for n in banded])


class DaggerSeedsPlot(pg.PlotWidget):
    """Return against expert labels: DAgger and BC, each seed a dot, mean ± 95% interval."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="DAgger vs BC at equal expert labels")
        style_plot(self, "evaluation return", "expert labels (mean over seeds)")
        integer_axis(self, minimum=0)
        legend_below(self, columns=2)
        self.sides = {name: _Side(self, name, colour) for name, colour in _SIDES.items()}
        self.points: list[SeedPoint] = []
        self.curve: list[CurvePoint] = []

    def reset(self) -> None:
        """Forget the points of an earlier run."""
        self.show_points([])

    def add(self, point: SeedPoint) -> None:
        """Add one finished (seed, iteration) point and redraw the means and bands."""
        self.show_points([*self.points, point])

    def show_points(self, points: Sequence[SeedPoint]) -> None:
        """Draw exactly `points` (a run's so far, or a saved run's)."""
        self.points = list(points)
        self.curve = seed_curve(self.points)
        labels = np.array([c.labels for c in self.curve], dtype=float)
        x, dagger_y, bc_y = [], [], []
        for seed_point in self.points:
            point = seed_point.point
            if point.dagger_return is not None and point.bc_return is not None:
                x.append(float(point.labels))
                dagger_y.append(point.dagger_return)
                bc_y.append(point.bc_return)
        dagger, bc = self.sides.values()
        dagger.show(labels, [c.dagger for c in self.curve], (x, dagger_y))
        bc.show(labels, [c.bc for c in self.curve], (x, bc_y))
