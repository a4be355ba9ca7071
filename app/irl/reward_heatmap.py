"""A learned tabular reward as a heatmap over the grid, with the demos' paths drawn over it.

Row 0 of the grid is drawn at the top, as the env renders it; walls (NaN cells) are grey. Each
demo path is a line through the centres of the cells it visited, nudged a little per demo so
that demos walking the same cells stay visible side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.plot_style import integer_axis

log = logging.getLogger(__name__)

EMPTY_TEXT = "No reward yet: run MaxEnt IRL to see it per cell"

WALL_RGBA = (90, 90, 90, 255)
_PATH_COLOURS = ((255, 255, 255), (255, 127, 14), (44, 160, 44), (148, 103, 189),
                 (23, 190, 207), (227, 119, 194))


class RewardHeatmap(pg.GraphicsLayoutWidget):
    """The reward per cell (an ImageItem with a colour bar) and the demos' paths over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.plot_item = self.addPlot(title="Learned reward per cell")
        self.plot_item.setAspectLocked(True)
        self.plot_item.invertY(True)  # row 0 at the top, as the env draws it
        self.plot_item.setMenuEnabled(False)
        self.plot_item.setLabel("bottom", "x")
        self.plot_item.setLabel("left", "y")
        for side in ("bottom", "left"):  # cell numbers: whole, from 0, never "x (x0.001)"
            integer_axis(self.plot_item, side, minimum=0)
        self.empty_text = pg.TextItem(EMPTY_TEXT, color=(90, 90, 90), anchor=(0.5, 0.5))
        self.empty_text.setPos(0.5, 0.5)
        self.plot_item.addItem(self.empty_text)
        self.plot_item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.walls = pg.ImageItem()
        self.image = pg.ImageItem()
        self.plot_item.addItem(self.image)
        self.plot_item.addItem(self.walls)
        self.walls.setZValue(self.image.zValue() + 1)  # walls cover the image's filler values
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"),
                                          label="learned reward", interactive=False)
        self.colour_bar.setImageItem(self.image, insert_in=self.plot_item)
        self.path_items: list[pg.PlotDataItem] = []
        self.grid: np.ndarray | None = None

    def set_reward(self, grid: np.ndarray, paths: Sequence[np.ndarray] = ()) -> None:
        """Show a (height, width) reward grid (NaN on walls) and (x, y) cell paths over it."""
        grid = np.asarray(grid, dtype=np.float64)
        self.grid = grid
        self.empty_text.hide()
        finite = grid[np.isfinite(grid)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if high <= low:
            high = low + 1.0
        # ImageItem's default axis order is (x, y): hand it the transpose of the (row, col) grid.
        self.image.setImage(np.nan_to_num(grid, nan=low).T, levels=(low, high))
        walls = np.zeros((*grid.shape, 4), dtype=np.uint8)
        walls[np.isnan(grid)] = WALL_RGBA
        self.walls.setImage(walls.transpose(1, 0, 2), levels=(0, 255))
        self.colour_bar.setLevels((low, high))
        self._draw_paths(paths)
        height, width = grid.shape
        self.plot_item.setRange(xRange=(0, width), yRange=(0, height), padding=0.02)

    def _draw_paths(self, paths: Sequence[np.ndarray]) -> None:
        for item in self.path_items:
            self.plot_item.removeItem(item)
        self.path_items = []
        count = len(paths)
        for number, path in enumerate(paths):
            cells = np.asarray(path, dtype=np.float64).reshape(-1, 2)
            nudge = 0.0 if count == 1 else 0.3 * (number / (count - 1) - 0.5)
            colour = _PATH_COLOURS[number % len(_PATH_COLOURS)]
            item = pg.PlotDataItem(cells[:, 0] + 0.5 + nudge, cells[:, 1] + 0.5 + nudge,
                                   pen=pg.mkPen((*colour, 220), width=2),
                                   symbol="o", symbolSize=5, symbolBrush=(*colour, 220),
                                   symbolPen=None)
            item.setZValue(self.walls.zValue() + 1)
            self.plot_item.addItem(item)
            self.path_items.append(item)
