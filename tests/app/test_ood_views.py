"""The OOD score in the Watch and Compare tabs: calm on datasets too small for it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import play_expert

ENV_ID = "CartPole-v1"
WAIT_MS = 20_000


def untrained_policy(path: Path) -> Path:
    env = make_env(ENV_ID)
    spec = PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    env.close()
    return save_policy(path, Policy(spec), TrainConfig(hidden=(8,)))


def small_dataset(path: Path, steps: int | None) -> Path:
    """A new dataset: empty (None) or one episode of `steps` steps."""
    env = make_env(ENV_ID)
    dataset = DemoDataset.create(path, env_id=ENV_ID, observation_space=env.observation_space,
                                 action_space=env.action_space)
    env.close()
    if steps is not None:
        dataset.append(play_expert(ENV_ID, 0, max_steps=steps))
    return path


def title(plot) -> str:
    return plot.getPlotItem().titleLabel.text


@pytest.mark.parametrize("steps", [None, 1], ids=["empty", "one-step"])
def test_small_datasets_are_a_calm_note_with_no_error_and_no_traceback(
        qtbot, tmp_path, caplog, capfd, steps):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(Workspace(ENV_ID), settings)
    qtbot.addWidget(window)
    watch, compare = window.views["Watch"], window.views["Compare"]
    caplog.set_level(logging.DEBUG)
    try:
        assert window.open_policy(untrained_policy(tmp_path / "clone.pt"))
        with qtbot.waitSignal(watch.ood_plot.fitted, timeout=WAIT_MS,
                              check_params_cb=lambda note: "computing" not in note
                              and "Fitting" not in note) as fitted:
            assert window.open_dataset(small_dataset(tmp_path / "demos", steps))
        assert fitted.args[0].startswith("Record at least 2 demo states to see OOD scores")
        if steps is not None:  # Compare rates the clone from the one episode's start
            qtbot.waitUntil(lambda: "computing" not in title(compare.ood_plot),
                            timeout=WAIT_MS)
            assert "Record at least 2 demo states to see OOD scores" in title(compare.ood_plot)
        for index in range(window.tabs.count()):  # every tab, as a person would look
            window.tabs.setCurrentIndex(index)
        qtbot.wait(300)
    finally:
        window.close()
    errors = [record for record in caplog.records
              if record.levelno >= logging.ERROR or record.exc_info]
    assert errors == []
    assert "Traceback" not in capfd.readouterr().err
