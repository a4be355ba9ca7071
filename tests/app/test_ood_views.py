"""The OOD score in the Watch and Compare tabs: calm on datasets too small for it, and one
definition of where a trajectory leaves the demos' states in both."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from clonelab.app.watch.compare_view import CompareView
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.failures.ood_timeline import departure_text
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, play_expert, workspace_on

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


def test_watch_and_compare_report_the_same_departure_from_the_same_start(qtbot, tmp_path):
    dataset = expert_dataset(tmp_path / "demos", ENV_ID, seeds=range(5), max_steps=100)
    workspace = workspace_on(dataset.path, ENV_ID)
    workspace.open_policy(untrained_policy(tmp_path / "clone.pt"))  # it soon leaves the demos
    watch = WatchView(workspace)
    qtbot.addWidget(watch)
    with qtbot.waitSignal(watch.ood_plot.fitted, timeout=WAIT_MS,
                          check_params_cb=lambda note: not note.startswith("Fitting")):
        pass
    compare = CompareView(workspace)  # compares the first demo
    qtbot.addWidget(compare)
    try:
        with qtbot.waitSignal(compare.ood_plot.ready, timeout=WAIT_MS) as ready:
            pass
        seed = dataset.episode_info(dataset.episode_ids[0]).seed
        watch.start_combo.setCurrentIndex(watch.start_combo.findData(seed))
        watch.new_episode()
        while watch.loop.in_episode and len(watch.ood_plot.timeline.ood) < len(ready.args[0].ood):
            watch.step_once()

        left_watch, left_compare = watch.ood_plot.departure, compare.ood_plot.departure
        assert left_compare is not None and left_watch is not None
        assert left_watch.step == left_compare.step
        assert left_watch.score == left_compare.score  # one state alone, or in a trajectory
        words = departure_text(left_compare)
        assert title(compare.ood_plot) == f"From the demo's start: the clone {words}"
        assert title(watch.ood_plot) == f"From demo #0's start: the policy {words}"
    finally:
        watch.shutdown()
        compare.shutdown()


def test_watchs_new_episode_button_starts_from_a_fresh_random_seed(qtbot, tmp_path):
    workspace = Workspace(ENV_ID)
    workspace.open_policy(untrained_policy(tmp_path / "clone.pt"))
    watch = WatchView(workspace)
    qtbot.addWidget(watch)
    try:
        seeds = []
        for _ in range(2):
            watch.restart_button.click()
            seeds.append(watch.loop.session.seed)
        assert all(type(seed) is int for seed in seeds)  # not clicked()'s False: seed 0
        assert seeds[0] != seeds[1]
        assert title(watch.ood_plot).startswith("No dataset")
    finally:
        watch.shutdown()


def test_watchs_live_uncertainty_reads_the_episode_history_as_the_agent_does(qtbot) -> None:
    from clonelab.app.watch.live_ood import LiveOodPlot
    from clonelab.models.failures.ood_timeline import policy_uncertainty
    from clonelab.models.observations import ObservationPipeline

    env = make_env("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,),
                      pipeline=ObservationPipeline(history=3))
    env.close()
    policy = Policy(spec).eval()
    plot = LiveOodPlot()
    qtbot.addWidget(plot)
    rng = np.random.default_rng(0)
    episodes = [rng.normal(size=(5, 4)).astype(np.float32) for _ in range(2)]
    for observations in episodes:
        plot.start_episode()
        for observation in observations:
            plot.add_state(policy, observation)
        # The whole episode scored at once stacks the same history.
        expected, _name = policy_uncertainty(policy, observations)
        np.testing.assert_allclose(plot.timeline.uncertainty, expected, rtol=1e-5)
