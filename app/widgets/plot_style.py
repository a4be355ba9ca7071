"""Plot conventions shared by every tab: legends outside the data, whole-number count axes.

A legend anchored inside a view box sits on whatever curve passes under it; `legend_below`
puts it in a row under the plot instead. Episode, iteration and round numbers are counts:
`integer_axis` ticks them at whole numbers only, never below their first value.
"""

from __future__ import annotations

import math

import pyqtgraph as pg

_LEGEND_ROW = 4  # PlotItem's grid: title 0, top axis 1, view box 2, bottom axis 3


def legend_below(plot: pg.PlotWidget | pg.PlotItem, *, columns: int = 3) -> pg.LegendItem:
    """The plot's legend, in a row under the plot (outside the view box); curves added with a
    ``name`` join it. Calling it again returns the same legend."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    legend = getattr(item, "legend", None)
    if isinstance(legend, pg.LegendItem) and legend.parentItem() is item:
        return legend
    legend = pg.LegendItem(colCount=columns)
    item.layout.addItem(legend, _LEGEND_ROW, 1)
    item.legend = legend  # PlotItem.addItem adds named items to `legend`
    return legend


class IntegerAxis(pg.AxisItem):
    """An axis for counts: ticks at whole numbers at or above `minimum` only."""

    def __init__(self, orientation: str, *, minimum: int | None = 0, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.minimum = minimum
        self.enableAutoSIPrefix(False)

    def tickValues(self, minVal: float, maxVal: float, size: float  # noqa: N802, N803
                   ) -> list[tuple[float, list[float]]]:
        low = minVal if self.minimum is None else max(minVal, self.minimum)
        levels = [(spacing, [v for v in values if float(v).is_integer() and v >= low])
                  for spacing, values in super().tickValues(minVal, maxVal, size)
                  if spacing >= 1]
        if not levels and maxVal >= low:  # zoomed in below one unit: the whole numbers in view
            levels = [(1.0, [float(v) for v in range(math.ceil(low), math.floor(maxVal) + 1)])]
        return levels

    def tickStrings(self, values: list[float], scale: float, spacing: float  # noqa: N802
                    ) -> list[str]:
        return [str(int(round(v))) for v in values]


def integer_axis(plot: pg.PlotWidget | pg.PlotItem, side: str = "bottom", *,
                 minimum: int | None = 0) -> IntegerAxis:
    """Give `plot` an `IntegerAxis` on `side`, keeping the axis label."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    old = item.getAxis(side)
    axis = IntegerAxis(side, minimum=minimum)
    item.setAxisItems({side: axis})
    if old.labelText:
        axis.setLabel(old.labelText, old.labelUnits)
    return axis


def shown_ticks(plot: pg.PlotWidget | pg.PlotItem, side: str = "bottom") -> list[float]:
    """The tick values `side` shows for the current view range (for tests and checks)."""
    item = plot.getPlotItem() if isinstance(plot, pg.PlotWidget) else plot
    axis = item.getAxis(side)
    low, high = axis.range
    length = axis.geometry().width() if side in ("top", "bottom") else axis.geometry().height()
    if axis._tickLevels is not None:
        return [value for level in axis._tickLevels for value, _ in level]
    return [value for _, values in axis.tickValues(low, high, max(length, 100.0))
            for value in values]
