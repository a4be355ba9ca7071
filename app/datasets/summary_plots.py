"""Summary plots of a dataset (pyqtgraph): returns per episode, action histogram, state coverage.

The data behind them is read off the UI thread (`summarize`, a Qt-free generator run by the
browser's JobRunner); the widget only draws.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.widgets.plot_export import export_plot_png
from clonelab.app.widgets.plot_style import integer_axis
from clonelab.recorder.action_names import EnvNames
from clonelab.recorder.schema import row_shape

log = logging.getLogger(__name__)

# Coverage scatter points kept (a uniform subsample beyond this keeps drawing fast).
MAX_POINTS = 20_000
# Episodes read per progress record.
CHUNK_EPISODES = 8
_BINS = 30


@dataclass(frozen=True, kw_only=True, eq=False)
class DatasetSummary:
    """What the plots show for a set of episodes."""

    episode_ids: np.ndarray
    returns: np.ndarray
    actions: np.ndarray
    """Every action of the episodes (T rows in total)."""
    observations: np.ndarray | None
    """Vector observations, subsampled to at most MAX_POINTS rows; None for images."""
    action_space: gym.Space


def summarize(dataset: Any, episode_ids: Sequence[int], *, seed: int = 0
              ) -> Generator[int, None, DatasetSummary]:
    """Read the actions (and vector observations) of `episode_ids`, yielding episodes done."""
    ids = list(episode_ids)
    vector = len(row_shape(dataset.observation_space)) == 1  # Dicts as their flat vector
    actions: list[np.ndarray] = []
    observations: list[np.ndarray] = []
    for start in range(0, len(ids), CHUNK_EPISODES):
        chunk = ids[start : start + CHUNK_EPISODES]
        if vector:
            data = dataset.transitions(chunk)
            actions.append(data.actions)
            observations.append(data.observations)
        else:  # frames are not plotted: read no frame (a Pong recording's are gigabytes)
            actions.extend(dataset.episode_actions(episode_id) for episode_id in chunk)
        yield min(start + CHUNK_EPISODES, len(ids))
    space = dataset.action_space
    all_actions = np.concatenate(actions) if actions else np.zeros((0, *space.shape), space.dtype)
    points = None
    if vector:
        points = np.concatenate(observations) if observations else np.zeros((0, 1))
        if len(points) > MAX_POINTS:
            keep = np.random.default_rng(seed).choice(len(points), MAX_POINTS, replace=False)
            points = points[np.sort(keep)]
    returns = np.array([dataset.episode_info(i).episode_return for i in ids], dtype=np.float64)
    return DatasetSummary(episode_ids=np.asarray(ids, dtype=np.int64), returns=returns,
                          actions=all_actions, observations=points, action_space=space)


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(title=title)
    plot.setBackground("w")
    plot.showGrid(x=True, y=True, alpha=0.3)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.setMenuEnabled(False)
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)  # raw observation units, no "x0.001"
    return plot


class SummaryPlots(QWidget):
    """Three plots of a `DatasetSummary`; choose which dims the coverage and histogram show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._summary: DatasetSummary | None = None
        self._names = EnvNames()
        self.returns_plot = _plot("Return per episode", "return", "episode id")
        integer_axis(self.returns_plot, minimum=0)
        self.actions_plot = _plot("Actions", "steps", "action")
        self.coverage_plot = _plot("State coverage", "", "")
        self.action_dim = QComboBox()
        self.x_dim = QComboBox()
        self.y_dim = QComboBox()
        for combo in (self.action_dim, self.x_dim, self.y_dim):
            combo.currentIndexChanged.connect(self._redraw_choices)
        self.status = QLabel()
        self.status.setObjectName("summaryStatus")

        choices = QHBoxLayout()
        self.action_dim_label = QLabel("action dim")
        for label, combo in ((self.action_dim_label, self.action_dim),
                             (QLabel("coverage x"), self.x_dim), (QLabel("y"), self.y_dim)):
            choices.addWidget(label)
            choices.addWidget(combo)
        choices.addStretch(1)
        choices.addWidget(self.status)
        grid = QGridLayout()
        grid.addWidget(self.returns_plot, 0, 0, 1, 2)
        grid.addWidget(self.actions_plot, 1, 0)
        grid.addWidget(self.coverage_plot, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addLayout(grid, 1)

    def plots(self) -> dict[str, pg.PlotWidget]:
        """The plots by file-name stem, for PNG export."""
        return {"returns": self.returns_plot, "actions": self.actions_plot,
                "coverage": self.coverage_plot}

    def summary(self) -> DatasetSummary | None:
        """The summary drawn (None before the first)."""
        return self._summary

    def set_status(self, text: str) -> None:
        """A short note next to the choices ("reading 8/20 episodes...")."""
        self.status.setText(text)

    def set_summary(self, summary: DatasetSummary | None, names: EnvNames | None = None) -> None:
        """Draw `summary` (None clears the plots), its actions and observations by `names`."""
        self._summary = summary
        self._names = names or EnvNames()
        self._fill_combos()
        self._draw_returns()
        self._redraw_choices()

    def save_png(self, folder: str | Path, *, prefix: str = "") -> list[Path]:
        """Save every plot as `<folder>/<prefix><name>.png`; returns the paths."""
        return [export_plot_png(plot, Path(folder) / f"{prefix}{name}.png")
                for name, plot in self.plots().items()]

    def _fill_combos(self) -> None:
        summary = self._summary
        action_dims = 0
        obs_dims = 0
        if summary is not None:
            if isinstance(summary.action_space, gym.spaces.Box):
                action_dims = int(np.prod(summary.action_space.shape))
            if summary.observations is not None:
                obs_dims = int(np.prod(summary.observations.shape[1:]))
        for combo, labels, default in (
                (self.action_dim, self._names.action_dimensions(action_dims), 0),
                (self.x_dim, self._names.observation_rows(obs_dims), 0),
                (self.y_dim, self._names.observation_rows(obs_dims), 1)):
            count = len(labels)
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(labels)
            combo.setCurrentIndex(min(default, count - 1))
            combo.setEnabled(count > 1)
            combo.blockSignals(False)
        for widget in (self.action_dim, self.action_dim_label):
            widget.setVisible(action_dims > 0)

    def _draw_returns(self) -> None:
        plot = self.returns_plot
        plot.clear()
        plot.setTitle("Return per episode")
        summary = self._summary
        if summary is None or len(summary.returns) == 0:
            return
        finite = np.isfinite(summary.returns)
        plot.addItem(pg.BarGraphItem(x=summary.episode_ids[finite], height=summary.returns[finite],
                                     width=0.8, brush=pg.mkBrush(70, 130, 180)))
        mean = float(summary.returns[finite].mean()) if finite.any() else 0.0
        pen = pg.mkPen((200, 80, 0), width=2, style=Qt.PenStyle.DashLine)
        plot.addItem(pg.InfiniteLine(pos=mean, angle=0, pen=pen))
        # Named in the title: a label on the line was cut off at the plot's edge.
        plot.setTitle(f"Return per episode (dashed: mean {mean:.1f})")

    def _redraw_choices(self, *_: Any) -> None:
        self._draw_actions()
        self._draw_coverage()

    def _draw_actions(self) -> None:
        plot = self.actions_plot
        plot.clear()
        summary = self._summary
        if summary is None or len(summary.actions) == 0:
            return
        space = summary.action_space
        if isinstance(space, gym.spaces.Discrete):
            values = np.arange(int(space.start), int(space.start) + int(space.n))
            counts = np.array([(summary.actions == v).sum() for v in values])
            plot.addItem(pg.BarGraphItem(x=values, height=counts, width=0.7,
                                         brush=pg.mkBrush(46, 139, 87)))
            labels = self._names.action_axis(len(values), int(space.start))
            plot.getAxis("bottom").setTicks([list(zip(values.tolist(), labels, strict=True))])
            plot.setLabel("bottom", "action")
            return
        plot.getAxis("bottom").setTicks(None)
        dim = max(0, self.action_dim.currentIndex())
        column = summary.actions.reshape(len(summary.actions), -1)[:, dim]
        counts, edges = np.histogram(column, bins=_BINS)
        plot.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts,
                                     brush=pg.mkBrush(46, 139, 87)))
        plot.setLabel("bottom", self.action_dim.currentText() or f"action[{dim}]")

    def _draw_coverage(self) -> None:
        plot = self.coverage_plot
        plot.clear()
        summary = self._summary
        if summary is None:
            return
        if summary.observations is None:
            plot.setTitle("State coverage (not shown for image observations)")
            return
        plot.setTitle("State coverage")
        if len(summary.observations) == 0:
            return
        points = summary.observations.reshape(len(summary.observations), -1)
        x = max(0, self.x_dim.currentIndex())
        y = max(0, self.y_dim.currentIndex())
        scatter = pg.ScatterPlotItem(x=points[:, x], y=points[:, y], size=3, pen=None,
                                     brush=pg.mkBrush(30, 90, 200, 60))
        plot.addItem(scatter)
        plot.setLabel("bottom", self.x_dim.currentText())
        plot.setLabel("left", self.y_dim.currentText())
