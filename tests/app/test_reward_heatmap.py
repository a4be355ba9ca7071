"""The MaxEnt reward heatmap: an empty state that says what to do, cell axes in whole numbers."""

from __future__ import annotations

import numpy as np

from clonelab.app.irl.reward_heatmap import EMPTY_TEXT, RewardHeatmap
from clonelab.app.widgets.plot_style import shown_ticks


def drawn(qtbot) -> RewardHeatmap:
    heatmap = RewardHeatmap()
    qtbot.addWidget(heatmap)
    heatmap.resize(600, 500)
    heatmap.show()
    qtbot.waitExposed(heatmap)
    heatmap.grab()
    return heatmap


def test_an_empty_heatmap_says_so_over_a_sane_range(qtbot):
    heatmap = drawn(qtbot)
    assert heatmap.empty_text.isVisible() and heatmap.empty_text.toPlainText() == EMPTY_TEXT
    for side in ("bottom", "left"):
        axis = heatmap.plot_item.getAxis(side)
        assert "x0.001" not in axis.labelString()
        low, high = sorted(axis.range)
        assert -0.1 <= low and high <= 1.1
        assert all(float(tick).is_integer() and tick >= 0
                   for tick in shown_ticks(heatmap.plot_item, side))


def test_a_reward_replaces_the_empty_state(qtbot):
    heatmap = drawn(qtbot)
    heatmap.set_reward(np.arange(12.0).reshape(3, 4), [np.array([[0, 0], [1, 0], [2, 1]])])
    heatmap.grab()
    assert not heatmap.empty_text.isVisible()
    low, high = heatmap.plot_item.getAxis("bottom").range
    assert low < 0.5 and 3.5 < high < 5
