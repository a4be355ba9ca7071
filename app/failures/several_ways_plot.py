"""The Several ways view's pictures: action space at one state, and the clones' paths.

`ActionPlots` draws, per head, the demos' actions near the chosen state as dots over the head's
predicted density there (a heat map over two action dimensions, a curve over one), the action
the demo took as a star and the clone's own action as a cross. `RolloutPlot` draws the maze's
walls, the chosen episode's path and the paths of the Gaussian and the mixture clone from the
same reset seeds, seen from above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from clonelab.app.widgets.plot_style import legend_below
from clonelab.models.action_density import ActionDensity, BinDensity
from clonelab.models.failures.several_ways import (
    HEADS,
    ROLLOUT_HEADS,
    Rect,
    Rollout,
    marginal_density,
)

HEAD_COLOURS = {"gaussian": (230, 126, 34), "mixture": (31, 119, 180),
                "discretised": (44, 160, 44)}
_GRID = 81  # density samples per axis: smooth enough at the plots' size, cheap per state
_DEMO = (90, 90, 90)


def head_title(head: str, density: ActionDensity) -> str:
    """'Gaussian', 'Mixture of 5', 'Discretised, 21 bins'."""
    if isinstance(density, BinDensity):
        return f"Discretised, {density.probabilities.shape[-1]} bins"
    components = density.weights.shape[-1]
    return "Gaussian" if head == "gaussian" else f"Mixture of {components}"


class HeadPlot(pg.PlotWidget):
    """One head at one state: its density, the neighbours' actions, the demo's, the clone's."""

    def __init__(self, head: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.head = head
        colour = HEAD_COLOURS.get(head, (120, 120, 120))
        self.density_image = pg.ImageItem()
        self.density_image.setColorMap(pg.colormap.get("viridis"))
        self.density_curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=2),
                                             fillLevel=0, brush=pg.mkBrush(*colour, 60))
        self.neighbour_dots = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1.5),
                                                 brush=pg.mkBrush(*_DEMO, 200))
        self.demo_action = pg.ScatterPlotItem(size=18, symbol="star", pen=pg.mkPen("k"),
                                              brush=pg.mkBrush(255, 215, 0))
        self.clone_action = pg.ScatterPlotItem(size=18, symbol="x", pen=pg.mkPen("w"),
                                               brush=pg.mkBrush(220, 30, 30))
        for item in (self.density_image, self.density_curve, self.neighbour_dots,
                     self.demo_action, self.clone_action):
            self.addItem(item)
        self.setTitle(head)
        self.setMenuEnabled(False)
        self.setMinimumSize(200, 180)

    def show_state(self, density: ActionDensity, neighbours: np.ndarray,
                   demo_action: np.ndarray | None, low: np.ndarray, high: np.ndarray) -> None:
        """Draw the first one or two action dimensions between `low` and `high` (flat)."""
        self.setTitle(head_title(self.head, density))
        dims = (0, 1) if len(low) >= 2 else (0,)
        xs = np.linspace(low[0], high[0], _GRID)
        clone = _mode(density)
        if len(dims) == 2:
            ys = np.linspace(low[1], high[1], _GRID)
            grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
            values = marginal_density(density, dims, grid).reshape(_GRID, _GRID)
            # Square root: a narrow peak does not wash out a wide second mode.
            self.density_image.setImage(np.sqrt(values / max(values.max(), 1e-12)),
                                        levels=(0.0, 1.0))
            self.density_image.setRect(QRectF(low[0], low[1], high[0] - low[0],
                                              high[1] - low[1]))
            self.density_curve.setData([], [])
            self.neighbour_dots.setData(neighbours[:, 0], neighbours[:, 1])
            self._mark(self.demo_action, demo_action, 1)
            self._mark(self.clone_action, clone, 1)
            self.setLabel("left", "action 1")
        else:
            values = marginal_density(density, dims, xs[:, None])
            self.density_image.clear()
            self.density_curve.setData(xs, values)
            # The demos' actions as a rug on the axis: one dimension has no second coordinate.
            self.neighbour_dots.setData(neighbours[:, 0], np.zeros(len(neighbours)))
            self._mark(self.demo_action, demo_action, None)
            self._mark(self.clone_action, clone, None)
            self.setLabel("left", "density")
        self.setLabel("bottom", "action 0")
        self.getViewBox().autoRange(padding=0.05)

    @staticmethod
    def _mark(item: pg.ScatterPlotItem, action: np.ndarray | None, y_dim: int | None) -> None:
        if action is None:
            item.setData([], [])
            return
        flat = np.asarray(action, dtype=float).reshape(-1)
        item.setData([flat[0]], [flat[y_dim] if y_dim is not None else 0.0])


def _mode(density: ActionDensity) -> np.ndarray:
    """The action the clone takes (deterministic play: the peak it sits on)."""
    return density.mode()[0].numpy()


class ActionPlots:
    """A `HeadPlot` per head (placed by the panel), drawn with the same demos."""

    KEY = ("Grey dots: the demos' actions in the most similar states of other episodes; gold "
           "star: this demo's action; red cross: the clone's action; colour: the head's "
           "density there (brighter is likelier).")
    """What the marks mean (one line under the plots: three legends would crowd them)."""

    def __init__(self) -> None:
        self.plots = {head: HeadPlot(head) for head in HEADS}

    def show_state(self, densities: Mapping[str, ActionDensity], neighbours: np.ndarray,
                   demo_action: np.ndarray | None, low: np.ndarray, high: np.ndarray) -> None:
        """Draw every head's density with the same neighbours and demo action."""
        for head, density in densities.items():
            self.plots[head].show_state(density, neighbours, demo_action, low, high)


class RolloutPlot(pg.PlotWidget):
    """The maze from above: walls, the chosen episode's path and the clones' paths."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setAspectLocked(True)
        self.setMenuEnabled(False)
        self.setTitle("Clones from the same seeds")
        self.setMinimumSize(200, 180)
        self._walls: list[QGraphicsRectItem] = []
        legend = legend_below(self, columns=1)
        dashed = pg.mkPen(*_DEMO, 220, width=2, style=Qt.PenStyle.DashLine)
        self.demo_path = self.plot(pen=dashed, name="this demo")
        self.state_dot = pg.ScatterPlotItem(size=16, symbol="star", pen=pg.mkPen("k"),
                                            brush=pg.mkBrush(255, 215, 0))
        self.addItem(self.state_dot)
        self.paths: dict[str, list[pg.PlotDataItem]] = {head: [] for head in ROLLOUT_HEADS}
        self._legend = legend

    def show_walls(self, walls: Sequence[Rect]) -> None:
        """Draw the maze's wall cells (none for an env without a maze)."""
        for item in self._walls:
            self.removeItem(item)
        self._walls = []
        for x, y, width, height in walls:
            item = QGraphicsRectItem(x, y, width, height)
            item.setPen(pg.mkPen(150, 150, 150))
            item.setBrush(pg.mkBrush(190, 190, 190))
            self.addItem(item)
            self._walls.append(item)

    def show_rollouts(self, rollouts: Sequence[Rollout]) -> None:
        """Draw each clone's paths; the legend says how many reached the end."""
        for items in self.paths.values():
            for item in items:
                self.removeItem(item)
                self._legend.removeItem(item)
            items.clear()
        for head in ROLLOUT_HEADS:
            played = [r for r in rollouts if r.head == head]
            reached = sum(r.success for r in played)
            for number, rollout in enumerate(played):
                name = (f"{head} clone: {reached} of {len(played)} reached the goal"
                        if number == 0 else None)
                item = self.plot(rollout.positions[:, 0], rollout.positions[:, 1],
                                 pen=pg.mkPen(*HEAD_COLOURS[head], 200, width=2.5), name=name)
                self.paths[head].append(item)
        self.getViewBox().autoRange(padding=0.02)

    def show_state(self, path: np.ndarray, position: np.ndarray) -> None:
        """The chosen episode's (N, 2) path and where it is at the chosen step."""
        self.demo_path.setData(path[:, 0], path[:, 1])
        self.state_dot.setData([position[0]], [position[1]])
