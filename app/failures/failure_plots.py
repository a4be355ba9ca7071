"""The Failures tab's plots: compounding error, accuracy vs agreement, subsets."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.plot_style import integer_axis, legend_below
from clonelab.models.failures.diagnostics import AgreementReport, CompoundingError
from clonelab.models.failures.subsets import SubsetComparison

_MAIN = (31, 119, 180)
_SECOND = (230, 126, 34)
_FAINT = (170, 170, 170)


class CompoundingPlot(pg.PlotWidget):
    """The clone's distance from the demo over time: each episode faint, the mean ± std bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Clone vs demo: state distance over time")
        style_plot(self, "distance (normalised RMS)", "step")
        integer_axis(self, minimum=0)
        legend_below(self)
        self.mean_curve = self.plot(pen=pg.mkPen(_MAIN, width=3), name="mean over episodes")

    def show_error(self, error: CompoundingError) -> None:
        """Draw one `compounding_error` result."""
        self.clear()
        legend_below(self)
        for index, curve in enumerate(error.per_episode):
            self.plot(np.arange(len(curve)), curve, pen=pg.mkPen(_FAINT, width=1),
                      name="each episode" if index == 0 else None)
        upper = pg.PlotDataItem(error.steps, error.mean + error.std)
        lower = pg.PlotDataItem(error.steps, np.maximum(error.mean - error.std, 0.0))
        self.addItem(pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(*_MAIN, 50)))
        self.mean_curve = self.plot(error.steps, error.mean, pen=pg.mkPen(_MAIN, width=3),
                                    name="mean ± std")


class AgreementPlot(pg.PlotWidget):
    """Two bars: accuracy on the demos' states, agreement with the expert on the clone's own."""

    LABELS = ("on demo states", "on its own states")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Clone agrees with the expert")
        style_plot(self, "share of steps", "")
        self.setYRange(0, 1.05, padding=0)
        self.getAxis("bottom").setTicks([list(enumerate(self.LABELS))])
        self.setXRange(-0.6, 1.6, padding=0)
        self.bars = pg.BarGraphItem(x=[0, 1], height=[0, 0], width=0.6,
                                    brushes=[pg.mkBrush(_MAIN), pg.mkBrush(_SECOND)])
        self.addItem(self.bars)
        self.values = np.zeros(2)

    def show_report(self, report: AgreementReport | None) -> None:
        """Draw a report (None: no scripted expert, so only the demo accuracy is known)."""
        if report is None:
            self.values = np.zeros(2)
        else:
            self.values = np.array([report.demo_accuracy, report.onpolicy_agreement])
        self.bars.setOpts(height=np.nan_to_num(self.values))


class SubsetPlot(pg.PlotWidget):
    """One bar per subset: its clone's mean return ± std; diamonds: the subset's demo return."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Clones trained on subsets of the demos")
        style_plot(self, "return", "subset")
        self.comparison: SubsetComparison | None = None

    def show_comparison(self, comparison: SubsetComparison) -> None:
        """Draw a `compare_subsets` result."""
        self.clear()
        self.comparison = comparison
        legend = legend_below(self)
        x = np.arange(len(comparison.outcomes))
        bars = pg.BarGraphItem(x=x, height=comparison.clone_means, width=0.6,
                               brush=pg.mkBrush(_MAIN))
        self.addItem(bars)
        legend.addItem(bars, "clone's return (mean ± std)")
        self.addItem(pg.ErrorBarItem(x=x, y=comparison.clone_means,
                                     height=2 * comparison.clone_stds, beam=0.2,
                                     pen=pg.mkPen((40, 40, 40), width=2)))
        self.plot(x, comparison.demo_means, pen=None, symbol="d", symbolSize=12,
                  symbolBrush=pg.mkBrush(_SECOND), name="demos' own return")
        self.getAxis("bottom").setTicks([list(zip(x.tolist(), comparison.labels,
                                                  strict=True))])
        self.setXRange(-0.6, max(len(x) - 0.4, 0.6), padding=0)


def style_plot(plot: pg.PlotWidget, left: str, bottom: str) -> None:
    """The Failures tab's look: white, no context menu, a faint grid, the axis labels."""
    plot.setBackground("w")
    plot.setMenuEnabled(False)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setLabel("left", left)
    if bottom:
        plot.setLabel("bottom", bottom)
