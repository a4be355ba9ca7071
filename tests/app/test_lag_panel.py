"""The Datasets tab's reaction-lag view: estimate a lagged expert's lag, hand it to Train.

Waits use `qtbot.waitSignal`: `waitUntil` keeps the GIL between its polls and slows workers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clonelab.app.datasets.dataset_browser import DatasetBrowser
from clonelab.app.datasets.lag_panel import LagPanel
from clonelab.app.train.train_panel import TrainPanel
from clonelab.app.window.workspace import Workspace
from clonelab.models.expert_demos import record_expert
from tests.app.conftest import shown
from tests.app.demo_data import workspace_on

ENV_ID = "LunarLander-v3"
LAG = 3
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def lagged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six LunarLander episodes of the expert reacting 3 steps late."""
    path = tmp_path_factory.mktemp("lag") / "lagged"
    record_expert(path, ENV_ID, seeds=range(6), lag=LAG)
    return path


def _estimate(qtbot, panel: LagPanel) -> None:
    panel.form.editor("max_shift").setValue(8)
    with qtbot.waitSignal(panel.done, timeout=WAIT_MS):
        panel.run()


def test_the_plot_marks_the_lag_and_hands_it_on(qtbot, lagged: Path) -> None:
    panel = shown(qtbot, LagPanel(workspace_on(lagged, ENV_ID)))
    assert not panel.use_button.isEnabled()
    _estimate(qtbot, panel)
    shifts, agreement = panel.plot.curve.getData()
    assert list(shifts) == list(range(9)) and agreement[LAG] == pytest.approx(1.0)
    assert panel.plot.marker.value() == LAG and panel.plot.marker.isVisible()
    assert "Suggested action shift: 3 steps" in panel.summary.text()
    assert panel.controls.progress_bar.value() == panel.controls.progress_bar.maximum()
    with qtbot.waitSignal(panel.shift_chosen) as chosen:
        panel.use_button.click()
    assert chosen.args == [LAG]
    panel.shutdown()


def test_use_in_train_sets_the_train_forms_action_shift(qtbot, open_window,
                                                         lagged: Path) -> None:
    window = open_window(ENV_ID)
    assert window.open_dataset(lagged)
    browser, train = window.views["Datasets"], window.views["Train"]
    assert isinstance(browser, DatasetBrowser) and isinstance(train, TrainPanel)
    _estimate(qtbot, browser.lag)
    browser.lag.use_button.click()
    assert train.form.config().action_shift == LAG
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Train"


def test_without_a_dataset_it_says_so(qtbot) -> None:
    panel = shown(qtbot, LagPanel(Workspace(ENV_ID)))
    assert panel.run() is None
    assert "Choose a dataset" in panel.message.text()


def test_another_dataset_drops_the_running_estimate(qtbot, lagged: Path) -> None:
    workspace = workspace_on(lagged, ENV_ID)
    panel = shown(qtbot, LagPanel(workspace))
    panel.form.editor("reference").setCurrentText("clone")  # slow: a clone per shift
    assert panel.run() is not None and panel.is_busy()
    workspace.select_dataset(None)
    assert not panel.is_busy()
    qtbot.wait(300)
    assert panel.result is None and not panel.use_button.isEnabled()
    shifts, _ = panel.plot.curve.getData()
    assert shifts is None or len(shifts) == 0
    panel.shutdown()
