"""What the policy would do now, live: action probabilities (Discrete), mean ± spread (Box,
Gaussian head), or each action dimension's density (Box, mixture or discretised head): a
curve per dimension for a mixture, a histogram of the bins for the discretised head."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.plot_style import legend_below
from clonelab.models.action_density import ActionDensity, BinDensity, MixtureDensity
from clonelab.models.agent import ActionDistribution
from clonelab.recorder.action_names import EnvNames
from clonelab.recorder.controls import KeyboardMap

_BAR = (70, 130, 180)
_CHOSEN = (230, 126, 34)
_DIMENSION_COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189),
                      (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34)]
_CURVE_POINTS = 301


def drawn_as_bars(density: ActionDensity | None) -> bool:
    """True for a Gaussian (a mixture of one): its mean and spread say all there is."""
    return density is None or (isinstance(density, MixtureDensity)
                               and density.weights.shape[-1] == 1)


def density_curves(density: ActionDensity, space: gym.spaces.Box
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(x, density) per action dimension of one state: the bins' edges and heights (a
    histogram: one more x than heights), or a mixture's marginal on a grid over the action
    bounds (mean ± 4 std where a bound is infinite)."""
    if isinstance(density, BinDensity):
        edges, heights = density.edges.numpy(), density.heights()[0].numpy()
        return [(edges[d], heights[d]) for d in range(len(edges))]
    low = np.asarray(space.low, dtype=float).reshape(-1)
    high = np.asarray(space.high, dtype=float).reshape(-1)
    mean, std = density.mean()[0].double().numpy(), density.std()[0].double().numpy()
    low = np.where(np.isfinite(low), low, mean - 4 * std)
    high = np.where(np.isfinite(high), high, mean + 4 * std)
    grid = np.linspace(low, high, _CURVE_POINTS, axis=-1)  # (D, N)
    pdf = density.marginal_pdf(torch.as_tensor(grid, dtype=density.means.dtype))[0].numpy()
    return [(grid[d], pdf[d]) for d in range(len(grid))]


def box_title(distribution: ActionDistribution, names: EnvNames) -> str:
    """The plot's title for a Box policy's distribution (the bars' names the mean; the
    density view's legend names the action taken, dimension by dimension)."""
    if drawn_as_bars(distribution.density):
        return f"Action mean ± std: {names.action(distribution.mean)}"
    kind = "bins" if isinstance(distribution.density, BinDensity) else "mixture"
    return f"Action density ({kind}); dashed: the action taken"


def action_labels(space: gym.Space, names: EnvNames, keyboard: KeyboardMap | None) -> list[str]:
    """A label per bar: the action's or dimension's name (recorder.action_names); unnamed
    Discrete actions by their number and the keys bound to them, unnamed dimensions a0, a1..."""
    if isinstance(space, gym.spaces.Box):
        return names.action_dimensions(int(np.prod(space.shape)))
    count, start = int(space.n), int(space.start)
    if len(names.actions) == count:
        return list(names.actions)
    labels = [str(start + i) for i in range(count)]
    if keyboard is None:
        return labels
    # The shortest key combination bound to each action names it.
    for combo, action in sorted(keyboard.combos.items(), key=lambda item: -len(item[0])):
        index = int(action) - start
        if 0 <= index < count:
            labels[index] = f"{index + start}: {'+'.join(combo)}"
    return labels


class ActionPlot(pg.PlotWidget):
    """A bar per action: its probability (Discrete) or its mean with ±1 std error bars (Box,
    Gaussian head); for other Box heads a density per action dimension over the action's
    values, with a dashed line at the action taken."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="Policy's action")
        self.setBackground("w")
        self.showGrid(y=True, alpha=0.3)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self._space: gym.Space | None = None
        self._bars: pg.BarGraphItem | None = None
        self._errors: pg.ErrorBarItem | None = None
        self._values = np.zeros(0)
        self._labels: list[str] = []
        # The density view's curves and taken-action lines, one per dimension (made on the
        # first density shown, since the head is known only then).
        self._curves: list[pg.PlotDataItem] = []
        self._taken: list[pg.InfiniteLine] = []

    def configure(self, space: gym.Space, labels: list[str]) -> None:
        """Prepare the axes for `space` with one label per bar."""
        self.clear()
        legend = getattr(self.getPlotItem(), "legend", None)
        if legend is not None:  # the density view's, from the policy before
            legend.clear()
        self.getAxis("bottom").showLabel(False)
        self._curves, self._taken = [], []
        self._space, self._labels = space, list(labels)
        count = len(labels)
        x = np.arange(count)
        self._bars = pg.BarGraphItem(x=x, height=np.zeros(count), width=0.6, brush=_BAR)
        self.addItem(self._bars)
        axis = self.getAxis("bottom")
        axis.setTicks([list(enumerate(labels))])
        if isinstance(space, gym.spaces.Discrete):
            self.setTitle("Action probabilities (orange: the most likely)")
            self.setLabel("left", "probability")
            self.setYRange(0.0, 1.0, padding=0.02)
            self._errors = None
        else:
            self.setTitle("Action mean ± std")
            self.setLabel("left", "action")
            self._errors = pg.ErrorBarItem(x=x, y=np.zeros(count), height=np.zeros(count),
                                           beam=0.25, pen=pg.mkPen((40, 40, 40), width=2))
            self.addItem(self._errors)
            low = np.asarray(space.low, dtype=float).reshape(-1)
            high = np.asarray(space.high, dtype=float).reshape(-1)
            finite = np.isfinite(low) & np.isfinite(high)
            if finite.any():
                self.setYRange(float(low[finite].min()) * 1.5, float(high[finite].max()) * 1.5)
        self.setXRange(-0.6, count - 0.4, padding=0)

    def values(self) -> np.ndarray:
        """The bar heights drawn (probabilities or means), or in the density view the action
        taken per dimension."""
        return self._values.copy()

    def curves(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The density view's (x, density) per dimension; empty in the bar view."""
        return [(np.asarray(c.xData), np.asarray(c.yData)) for c in self._curves]

    def _density_view(self, histogram: bool) -> None:
        """Swap the bars for a curve (or a histogram) and a taken-action line per dimension."""
        assert isinstance(self._space, gym.spaces.Box)
        self.clear()
        self._bars = self._errors = None
        legend = legend_below(self, columns=4)
        legend.clear()
        for index, label in enumerate(self._labels):
            colour = _DIMENSION_COLOURS[index % len(_DIMENSION_COLOURS)]
            pen = pg.mkPen(colour, width=2)
            if histogram:
                curve = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pen,
                                        brush=(*colour, 60), name=label)
            else:
                curve = pg.PlotDataItem(pen=pen, name=label)
            dashed = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)
            line = pg.InfiniteLine(angle=90, pen=dashed)
            self.addItem(curve)
            self.addItem(line)
            self._curves.append(curve)
            self._taken.append(line)
        # No data: a legend entry that says what the dashed lines are.
        self.addItem(pg.PlotDataItem(pen=pg.mkPen((90, 90, 90), width=2,
                                                  style=Qt.PenStyle.DashLine),
                                     name="action taken"))
        self.setLabel("left", "density")
        self.setLabel("bottom", "action")
        self.getAxis("bottom").setTicks(None)
        self.enableAutoRange(axis="y")
        low = np.asarray(self._space.low, dtype=float).reshape(-1)
        high = np.asarray(self._space.high, dtype=float).reshape(-1)
        if np.isfinite(low).all() and np.isfinite(high).all():
            self.setXRange(float(low.min()), float(high.max()))
        else:
            self.enableAutoRange(axis="x")

    def _show_density(self, distribution: ActionDistribution) -> None:
        assert isinstance(self._space, gym.spaces.Box) and distribution.density is not None
        histogram = isinstance(distribution.density, BinDensity)
        if not self._curves:
            self._density_view(histogram)
        for curve, (x, y) in zip(self._curves, density_curves(distribution.density, self._space),
                                 strict=True):
            curve.setData(x, y)
        taken = np.asarray(distribution.action, dtype=float).reshape(-1)
        legend = legend_below(self, columns=4)
        for index, (line, value) in enumerate(zip(self._taken, taken, strict=True)):
            line.setValue(float(value))
            legend.items[index][1].setText(f"{self._labels[index]}: {value:.3g}")
        self._values = taken

    def show_distribution(self, distribution: ActionDistribution, chosen: Any = None) -> None:
        """Draw one state's distribution; `chosen` (a Discrete action) is highlighted."""
        if self._space is None:
            return
        if not drawn_as_bars(distribution.density):
            self._show_density(distribution)
            return
        if self._bars is None:
            return
        if distribution.probabilities is not None:
            values = np.asarray(distribution.probabilities, dtype=float)
            brushes = [_BAR] * len(values)
            if chosen is not None:
                index = int(chosen) - int(getattr(self._space, "start", 0))
                if 0 <= index < len(values):
                    brushes[index] = _CHOSEN
            self._bars.setOpts(height=values, brushes=brushes)
        else:
            values = np.asarray(distribution.mean, dtype=float).reshape(-1)
            spread = np.asarray(distribution.std, dtype=float).reshape(-1)
            self._bars.setOpts(height=values)
            if self._errors is not None:
                self._errors.setData(x=np.arange(len(values)), y=values, height=2 * spread)
        self._values = values
