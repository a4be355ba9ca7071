"""The Failures tab's Several ways view on a tiny PointMaze_TwoWays-v3 recording.

Waits use `qtbot.waitSignal`: `waitUntil` keeps the GIL between its polls and slows workers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clonelab.app.failures.failures_view import FailuresView
from clonelab.models.failures.several_ways import HEADS, ROLLOUT_HEADS, SeveralWaysConfig
from clonelab.recorder.maze_envs import TWO_WAYS_ID
from tests.app.conftest import shown
from tests.app.demo_data import expert_dataset, workspace_on

WAIT_MS = 120_000
TINY = SeveralWaysConfig(steps=40, hidden=(16,), rollouts=1, neighbours=5, device="cpu")


@pytest.fixture(scope="module")
def maze(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("several_ways")
    return expert_dataset(root / "maze", TWO_WAYS_ID, seeds=range(6), max_steps=None).path


@pytest.fixture
def view(qtbot, maze) -> FailuresView:
    failures = FailuresView(workspace_on(maze, TWO_WAYS_ID))
    yield failures
    failures.shutdown()


def test_the_view_draws_the_demos_each_head_and_the_clones_paths(qtbot, view) -> None:
    """Train tiny clones, then pick the start of episode 0 (the demos split there)."""
    panel = view.several_ways
    assert view.tabs.tabText(view.tabs.indexOf(panel)) == "Several ways"
    panel.form.set_config(TINY)
    # Hidden, the view reads no episode (nor re-simulates it for its frames).
    assert panel.maze.demo_path.xData is None
    view.tabs.setCurrentWidget(panel)
    shown(qtbot, view)
    # Shown, before any clone: the episode's path and the chosen state on the maze.
    assert len(panel.maze.demo_path.xData) > 10
    with qtbot.waitSignal(panel.done, timeout=WAIT_MS) as done:
        assert panel.run() is not None
    result = done.args[0]
    assert tuple(result.clones) == HEADS and not result.cancelled
    assert panel.maze.state_dot.data["x"].size == 1
    assert len(panel.maze._walls) == 17  # noqa: SLF001 - the maze's walls are drawn
    for head in ROLLOUT_HEADS:
        (path,) = panel.maze.paths[head]
        assert len(path.xData) > 1
    assert "reached the goal in" in panel.summary.text()
    panel.timeline.set_step(0)  # the start: where the demos split left and right
    for head in HEADS:
        plot = panel.actions.plots[head]
        assert plot.density_image.image is not None
        assert plot.density_image.image.shape == (81, 81)
        dots = plot.neighbour_dots.data
        assert len(dots) == TINY.neighbours
        assert (dots["x"] < -0.5).any() and (dots["x"] > 0.5).any()  # both ways round
        assert plot.clone_action.data["x"].size == 1
    assert panel.actions.plots["mixture"].getPlotItem().titleLabel.text.startswith("Mixture of")
    # Another state redraws: the star follows the demo's action there.
    before = np.array(panel.actions.plots["gaussian"].demo_action.data["x"])
    panel.timeline.set_step(40)
    assert panel.maze.state_dot.data["x"][0] != pytest.approx(panel.maze.demo_path.xData[0])
    assert panel.actions.plots["gaussian"].demo_action.data["x"].size == before.size


def test_a_discrete_action_dataset_is_refused_in_one_line(qtbot, tmp_path) -> None:
    dataset = expert_dataset(tmp_path / "cartpole", "CartPole-v1", seeds=(0,), max_steps=10)
    failures = FailuresView(workspace_on(dataset.path, "CartPole-v1"))
    qtbot.addWidget(failures)
    try:
        assert failures.several_ways.run() is None
        assert "continuous" in failures.several_ways.message.text()
    finally:
        failures.shutdown()
