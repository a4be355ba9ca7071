"""Watch draws a Box policy's action distribution as what it is: mean ± std for a Gaussian, a
density curve per dimension for a mixture, a histogram of the bins for a discretised head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.app.watch.watch_view import WatchView
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.heads import HeadSpec
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env

ENV_ID = "LunarLanderContinuous-v3"


def watching(qtbot, tmp_path: Path, kind: str) -> WatchView:
    env = make_env(ENV_ID)
    torch.manual_seed(0)
    head = HeadSpec(kind=kind, bins=9)  # type: ignore[arg-type]
    policy = Policy(PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                               action_space=env.action_space, hidden=(8,), head=head))
    env.close()
    path = save_policy(tmp_path / f"{kind}.pt", policy, TrainConfig(head=head.kind, bins=9))
    workspace = Workspace(ENV_ID)
    workspace.open_policy(path)
    view = WatchView(workspace)
    qtbot.addWidget(view)
    view.new_episode(seed=0)
    return view


@pytest.mark.parametrize("kind", ["mixture", "discretised"])
def test_watch_draws_each_dimensions_density_and_the_action_taken(qtbot, tmp_path: Path,
                                                                  kind: str) -> None:
    view = watching(qtbot, tmp_path, kind)
    observation = view.loop.session.env.reset(seed=0)[0]
    distribution = view.agent.action_distribution(observation)
    curves = view.action_plot.curves()
    assert len(curves) == 2  # main and lateral engine
    for x, density in curves:
        if kind == "discretised":
            assert len(x) == 10 and len(density) == 9  # a histogram: edges and bin heights
            assert np.sum(density * np.diff(x)) == pytest.approx(1.0, abs=1e-5)
        else:
            assert x[0] == pytest.approx(-1.0) and x[-1] == pytest.approx(1.0)
            assert (density >= 0).all() and density.max() > 0
    np.testing.assert_allclose(view.action_plot.values(), distribution.action, rtol=1e-6)
    title = view.action_plot.getPlotItem().titleLabel.text
    assert title.startswith("Action density (") and "taken" in title
    view.step_once()
    moved = view.action_plot.curves()
    assert any(not np.allclose(a[1], b[1]) for a, b in zip(curves, moved, strict=True))
    view.shutdown()


def test_watch_keeps_mean_and_spread_bars_for_a_gaussian(qtbot, tmp_path: Path) -> None:
    view = watching(qtbot, tmp_path, "gaussian")
    assert view.action_plot.curves() == []
    assert view.action_plot._errors is not None
    assert view.action_plot.getPlotItem().titleLabel.text.startswith("Action mean ± std")
    view.shutdown()
