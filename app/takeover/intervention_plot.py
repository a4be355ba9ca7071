"""Interventions (takeovers or help requests) per episode, across the rounds of the Takeover tab."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from clonelab.app.widgets.plot_style import integer_axis, legend_below

_EPISODE = (120, 120, 120)
_ROUND = (31, 119, 180)


class InterventionPlot(pg.PlotWidget):
    """One dot per episode (x: episode number) and a line through each round's mean.

    Fewer interventions per round means the retrained clone needs the human less.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.setLabel("bottom", "episode")
        integer_axis(self, minimum=1)
        legend_below(self)
        self._episodes = self.plot([], [], pen=None, symbol="o", symbolSize=7,
                                   symbolBrush=_EPISODE, symbolPen=None, name="episode")
        self._means = self.plot([], [], pen=pg.mkPen(_ROUND, width=3), symbol="s",
                                symbolSize=9, symbolBrush=_ROUND, name="round mean")
        self._counts: list[tuple[int, int]] = []  # (round, count) per episode
        self._borders: list[pg.InfiniteLine] = []
        self.set_measure("takeovers")

    def set_measure(self, name: str) -> None:
        """Name what is counted ("takeovers" or "help requests") and clear the plot."""
        self.setTitle(f"{name.capitalize()} per episode, by round")
        self.setLabel("left", name)
        self.clear_counts()

    def clear_counts(self) -> None:
        """Forget every episode."""
        self._counts = []
        self._redraw()

    def add_episode(self, round_index: int, count: int) -> None:
        """Add one episode's count, played in round `round_index`."""
        self._counts.append((round_index, count))
        self._redraw()

    def round_means(self) -> list[float]:
        """The mean count of each round played so far, in round order."""
        rounds = sorted({r for r, _ in self._counts})
        return [float(np.mean([c for r, c in self._counts if r == wanted])) for wanted in rounds]

    def _redraw(self) -> None:
        counts = np.array([c for _, c in self._counts], dtype=float)
        episodes = np.arange(1, len(counts) + 1, dtype=float)
        self._episodes.setData(episodes, counts)
        rounds = np.array([r for r, _ in self._counts])
        centres = [float(episodes[rounds == r].mean()) for r in sorted(set(rounds.tolist()))]
        self._means.setData(centres, self.round_means())
        for line in self._borders:
            self.removeItem(line)
        # A dashed line before each new round's first episode.
        starts = np.flatnonzero(np.diff(rounds) != 0) + 1.5 if len(rounds) else []
        self._borders = [pg.InfiniteLine(pos=float(x), angle=90, pen=pg.mkPen(
            _EPISODE, style=Qt.PenStyle.DashLine)) for x in starts]
        for line in self._borders:
            self.addItem(line)
        if len(counts):
            self.setYRange(0, max(1.0, float(counts.max())) * 1.1, padding=0)
