"""What the policy would do now: action probabilities (Discrete) or mean ± spread (Box), live."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from clonelab.models.agent import ActionDistribution
from clonelab.recorder.action_names import EnvNames
from clonelab.recorder.controls import KeyboardMap

_BAR = (70, 130, 180)
_CHOSEN = (230, 126, 34)


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
    """A bar per action: its probability (Discrete) or its mean with ±1 std error bars (Box)."""

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

    def configure(self, space: gym.Space, labels: list[str]) -> None:
        """Prepare the axes for `space` with one label per bar."""
        self.clear()
        self._space = space
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
        """The bar heights drawn (probabilities or means)."""
        return self._values.copy()

    def show_distribution(self, distribution: ActionDistribution, chosen: Any = None) -> None:
        """Draw one state's distribution; `chosen` (a Discrete action) is highlighted."""
        if self._bars is None or self._space is None:
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
