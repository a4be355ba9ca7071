"""Plot conventions: legends outside the data, count axes in whole numbers, one plural rule."""

from __future__ import annotations

import pyqtgraph as pg
import pytest

from clonelab.app.failures.dagger_plot import DaggerSeedsPlot
from clonelab.app.failures.failure_plots import CompoundingPlot, SubsetPlot
from clonelab.app.irl.irl_curves import IrlCurves
from clonelab.app.takeover.intervention_plot import InterventionPlot
from clonelab.app.train.train_panel import LossPlot
from clonelab.app.watch.divergence_plot import DivergencePlot
from clonelab.app.watch.ood_plot import OodPlot
from clonelab.app.widgets.plot_style import IntegerAxis, integer_axis, legend_below, shown_ticks
from clonelab.models.failures.subsets import SubsetComparison, SubsetOutcome
from clonelab.recorder.wording import plural


def subset_plot() -> SubsetPlot:
    plot = SubsetPlot()
    outcomes = tuple(SubsetOutcome(label=label, episode_ids=(0, 1), steps=100,
                                   demo_return_mean=200.0, clone_returns=(150.0, 250.0))
                     for label in ("all", "best half", "worst half"))
    plot.show_comparison(SubsetComparison(env_id="CartPole-v1", outcomes=outcomes,
                                          cancelled=False))
    return plot


PLOTS = {
    "train loss": lambda: LossPlot(),
    "AIRL learned reward": lambda: IrlCurves(),
    "compounding error": lambda: CompoundingPlot(),
    "imperfect experts (subsets)": subset_plot,
    "DAgger": lambda: DaggerSeedsPlot(),
    "takeover interventions": lambda: InterventionPlot(),
    "Watch and Compare OOD timeline": lambda: OodPlot(),
}


def plot_items(widget) -> list[pg.PlotItem]:
    if isinstance(widget, pg.PlotWidget):
        return [widget.getPlotItem()]
    return [item for item in widget.ci.items if isinstance(item, pg.PlotItem)]


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_legends_sit_outside_the_data(qtbot, name):
    widget = PLOTS[name]()
    qtbot.addWidget(widget)
    widget.resize(700, 450)
    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()
    legends = [(item, item.legend) for item in plot_items(widget) if item.legend is not None]
    assert legends, "the plot has a legend"
    for item, legend in legends:
        assert legend.items, "the legend names the curves"
        assert not legend.sceneBoundingRect().intersects(item.vb.sceneBoundingRect())


def test_legend_below_is_made_once(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    assert legend_below(plot) is legend_below(plot)
    plot.plot([0, 1], [0, 1], name="curve")
    assert len(plot.getPlotItem().legend.items) == 1


@pytest.mark.parametrize("view", [(-0.3, 1.7), (-2.0, 3.0), (0.0, 400.0), (-0.4, 0.4)])
def test_count_axes_tick_whole_numbers_from_their_first_value(qtbot, view):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.setLabel("bottom", "episode")
    integer_axis(plot, minimum=0)
    plot.resize(500, 300)
    plot.show()
    qtbot.waitExposed(plot)
    plot.setXRange(*view, padding=0)
    plot.grab()
    ticks = shown_ticks(plot)
    assert ticks, "some tick is shown"
    assert all(float(tick).is_integer() and tick >= 0 for tick in ticks)
    assert plot.getAxis("bottom").labelText == "episode"


def test_counts_read_in_the_singular_for_one():
    assert plural(1, "episode") == "1 episode"
    assert plural(0, "episode") == "0 episodes"
    assert plural(3, "step") == "3 steps"
    assert plural(2, "policy", "policies") == "2 policies"


@pytest.mark.parametrize("make", [DaggerSeedsPlot, InterventionPlot, CompoundingPlot, OodPlot,
                                  DivergencePlot])
def test_episode_iteration_and_step_axes_count_in_whole_numbers(qtbot, make):
    plot = make()
    qtbot.addWidget(plot)
    assert isinstance(plot.getAxis("bottom"), IntegerAxis)
    assert plot.getAxis("bottom").labelText  # the label survived the new axis


def test_ood_axes_keep_their_units_without_si_prefixes(qtbot):
    plot = OodPlot()
    qtbot.addWidget(plot)
    for side in ("left", "right"):  # uncertainty 0.0007 reads as such, not "(x0.001)"
        assert not plot.getAxis(side).autoSIPrefix
