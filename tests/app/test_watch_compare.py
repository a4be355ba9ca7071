"""The Watch and Compare tabs with a quickly trained CartPole clone, and video export."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QSettings, Qt

from clonelab.app.watch.compare_view import CompareView
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError, load_policy, save_policy
from clonelab.models.failures.compare import compare_on_demo
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from clonelab.recorder.video_writer import video_formats
from tests.app.demo_data import expert_dataset, play_expert, workspace_on

ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A CartPole dataset (two experts, one noisy demo) and a clone trained on it briefly."""
    root = tmp_path_factory.mktemp("watch")
    ds = expert_dataset(root / "demos", ENV_ID, seeds=(0, 1), max_steps=40)
    ds.append(play_expert(ENV_ID, 2, noise=0.5, max_steps=40), tags=("noisy",))
    config = TrainConfig(steps=300, hidden=(32,), log_every=100, val_fraction=0.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = drain(train_bc(config, ds))
    finally:
        torch.set_num_threads(threads)
    clone = save_policy(root / "clone.pt", result.policy, config)
    pendulum = make_env("Pendulum-v1")
    spec = PolicySpec(env_id="Pendulum-v1", observation_space=pendulum.observation_space,
                      action_space=pendulum.action_space, hidden=(8,))
    other = save_policy(root / "pendulum.pt", Policy(spec), config)
    return {"dataset": ds.path, "clone": clone, "pendulum": other, "root": root}


def make_state(env_id: str = ENV_ID, *, dataset: Path | None = None,
               policy: Path | None = None) -> Workspace:
    state = workspace_on(dataset, env_id)
    state.select_env(env_id)  # after the dataset, which brings its own env
    state.open_policy(policy)
    return state


@pytest.fixture
def watch(qtbot, files) -> WatchView:
    view = WatchView(make_state(policy=files["clone"]))
    qtbot.addWidget(view)
    yield view
    view.shutdown()


@pytest.fixture
def compare(qtbot, files) -> CompareView:
    view = CompareView(make_state(dataset=files["dataset"], policy=files["clone"]))
    qtbot.addWidget(view)
    view.resize(1000, 700)
    yield view
    view.shutdown()


# -- Watch ------------------------------------------------------------------------------------


def test_watch_shows_the_action_probabilities_of_the_state_shown(watch: WatchView) -> None:
    watch.new_episode(seed=4)
    observation = watch.loop.session.env.reset(seed=4)[0]
    expected = watch.agent.action_distribution(observation).probabilities
    np.testing.assert_allclose(watch.action_plot.values(), expected, rtol=1e-6)
    assert watch.action_plot.values().sum() == pytest.approx(1.0)
    watch.new_episode(seed=4)
    watch.step_once()
    assert watch.frame.frame_size() is not None
    assert "step 1" in watch.frame.hud()
    assert not np.allclose(watch.action_plot.values(), expected)  # it moved with the state


def test_watch_plays_on_its_timer(qtbot, watch: WatchView) -> None:
    watch.speed.setValue(watch.speed.maximum())
    steps = []
    watch.loop.stepped.connect(lambda outcome: steps.append(outcome.step))
    watch.toggle()
    assert watch.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: len(steps) >= 5, timeout=10_000)
    watch.toggle()
    assert watch.play_button.text() == "Play"
    assert steps == list(range(1, len(steps) + 1))
    assert f"step {steps[-1]}" in watch.frame.hud()


def test_watch_switches_between_argmax_and_sampling(watch: WatchView) -> None:
    watch.deterministic.setChecked(False)
    assert watch.agent.deterministic is False
    watch.deterministic.setChecked(True)
    assert watch.agent.deterministic is True


def test_watch_shows_mean_and_spread_for_continuous_actions(qtbot, files) -> None:
    view = WatchView(make_state("Pendulum-v1", policy=files["pendulum"]))
    qtbot.addWidget(view)
    view.new_episode(seed=0)
    observation = view.loop.session.env.reset(seed=0)[0]
    distribution = view.agent.action_distribution(observation)
    np.testing.assert_allclose(view.action_plot.values(), distribution.mean.reshape(-1),
                               rtol=1e-6)
    assert view.action_plot._errors is not None
    assert tick_labels(view.action_plot) == ["torque"]
    assert view.action_plot.getPlotItem().titleLabel.text.startswith("Action mean ± std: torque ")
    view.shutdown()


def tick_labels(plot) -> list[str]:
    return [label for _, label in plot.getAxis("bottom")._tickLevels[0]]


def test_watch_names_the_actions_it_plots(watch: WatchView) -> None:
    assert tick_labels(watch.action_plot) == ["push left", "push right"]


def test_watch_refuses_a_policy_of_another_env_with_a_message(qtbot, files) -> None:
    view = WatchView(make_state("MountainCar-v0", policy=files["clone"]))
    qtbot.addWidget(view)
    assert view.loop is None
    assert "trained on CartPole-v1" in view.message.text()


def test_a_damaged_policy_file_does_not_replace_the_watched_one(qtbot, watch, files,
                                                               tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(files["clone"].read_bytes()[:200])
    with pytest.raises(CheckpointError, match="damaged.pt"):
        watch._workspace.open_policy(damaged)
    assert watch.loop is not None and watch.policy_label.text().startswith("clone.pt")


def test_watch_survives_a_failing_env(watch: WatchView, monkeypatch) -> None:
    def broken_step(action):
        raise RuntimeError("physics exploded")

    monkeypatch.setattr(watch.loop.session.env, "step", broken_step)
    watch.step_once()
    assert "physics exploded" in watch.message.text()
    assert not watch.loop.in_episode  # the episode ended instead of the app


# -- Compare ----------------------------------------------------------------------------------


def test_both_panes_start_from_the_demo_seed_and_step_together(compare: CompareView) -> None:
    episode = compare.episode
    run = compare.lockstep.run
    np.testing.assert_allclose(run.right.observation, episode.observations[0])
    np.testing.assert_allclose(run.left.observation, episode.observations[0])
    right_path = [run.right.observation]
    for _ in range(5):
        compare.lockstep.step_once()
        right_path.append(run.right.observation)
    assert run.step_count == 5 == run.left.session.steps == run.right.session.steps
    assert compare.slider.value() == 5 and compare.step_label.text().startswith("5 / ")
    np.testing.assert_allclose(run.left.observation, episode.observations[5])

    compare.lockstep.seek(2)  # back: both replay from the seed
    assert run.step_count == 2 == run.left.session.steps == run.right.session.steps
    np.testing.assert_allclose(run.left.observation, episode.observations[2])
    np.testing.assert_allclose(run.right.observation, right_path[2])
    assert compare.replay_mismatch is None


def test_first_divergence_is_marked(compare: CompareView, files) -> None:
    compare.choose_episode(2)  # the noisy demo: it takes actions the clone would not
    policy = load_policy(files["clone"])
    demo = DemoDataset.open(files["dataset"]).load_episode(2)
    expected = compare_on_demo(policy, demo.observations, demo.actions)
    assert expected.first_divergence is not None
    assert compare.comparison.first_divergence == expected.first_divergence
    assert compare.slider.marker() == expected.first_divergence
    assert f"step {expected.first_divergence}" in compare.summary_label.text()
    compare.lockstep.seek(expected.first_divergence)
    assert "DIFFERENT" in compare.step_info.text()
    # Actions by name: "(demo push left, clone push right)".
    names = ("push left", "push right")
    demo = names[int(expected.demo_actions[expected.first_divergence])]
    clone = names[int(expected.policy_actions[expected.first_divergence])]
    assert f"(demo {demo}, clone {clone})" in compare.summary_label.text()
    assert f"demo action {demo}, clone's action in the demo's state {clone}" in (
        compare.step_info.text())


def test_compare_fits_a_1200_by_800_window_without_scrolling(qtbot, files, tmp_path) -> None:
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(make_state(dataset=files["dataset"], policy=files["clone"]), settings)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    compare = window.views["Compare"]
    scroll = compare.parentWidget().parentWidget()
    window.tabs.setCurrentWidget(scroll)
    compare.choose_episode(2)  # the summary and step lines are filled in
    qtbot.wait(50)
    assert not scroll.verticalScrollBar().isVisible()
    assert not scroll.horizontalScrollBar().isVisible()
    window.close()


def test_one_timer_runs_both_panes_to_the_end(qtbot, compare: CompareView) -> None:
    compare.lockstep.set_speed(2.0)
    with qtbot.waitSignal(compare.lockstep.finished, timeout=30_000):
        compare.toggle()
    run = compare.lockstep.run
    assert run.over and run.left.done
    assert run.left.session.steps == len(compare.episode.actions)


def test_a_replay_that_drifts_from_its_recording_is_flagged(qtbot, files, tmp_path) -> None:
    clean = play_expert(ENV_ID, 6, max_steps=20)
    observations = clean.observations.copy()
    observations[8:, 1] += 0.1
    ds = expert_dataset(tmp_path / "tampered", ENV_ID, seeds=())
    ds.append(replace(clean, observations=observations))
    view = CompareView(make_state(dataset=ds.path, policy=files["clone"]))
    qtbot.addWidget(view)
    view.lockstep.seek(12)
    assert view.replay_mismatch == 8
    assert "from step 8" in view.message.text()
    view.shutdown()


def test_a_person_can_play_the_left_pane_live(qtbot, compare: CompareView) -> None:
    compare.live.setChecked(True)
    run = compare.lockstep.run
    np.testing.assert_allclose(run.left.observation, run.right.observation)  # same seed
    qtbot.keyPress(compare, Qt.Key.Key_Right)
    assert compare.keyboard.held == frozenset({"right"})
    assert compare.lockstep.running  # the first key starts both
    compare.lockstep.pause()
    compare.lockstep.restart()
    compare.lockstep.step_once()
    env = make_env(ENV_ID)
    env.reset(seed=compare.episode.seed)
    pushed_right = env.step(1)[0]  # 1 is "right" in CartPole's key map
    np.testing.assert_allclose(run.left.observation, pushed_right)
    qtbot.keyRelease(compare, Qt.Key.Key_Right)
    assert compare.keyboard.held == frozenset()


def test_compare_refuses_a_policy_of_another_env(qtbot, files) -> None:
    view = CompareView(make_state(dataset=files["dataset"], policy=files["pendulum"]))
    qtbot.addWidget(view)
    assert view.lockstep is None
    assert "trained on Pendulum-v1" in view.message.text()


# -- Export -----------------------------------------------------------------------------------


def test_gif_export_has_a_frame_per_step(qtbot, compare: CompareView, tmp_path: Path) -> None:
    target = tmp_path / "run.gif"
    worker = compare.export_video(target)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    with Image.open(target) as gif:
        assert gif.n_frames == len(compare.episode.actions) + 1
        assert gif.size[0] > gif.size[1]  # two panes side by side
    assert "Saved" in compare.export_bar.message.text()


def test_mp4_is_always_offered(compare: CompareView) -> None:
    combo = compare.export_bar.format_combo
    offered = [combo.itemText(i).lower() for i in range(combo.count())]
    assert offered == video_formats() == ["mp4", "gif"]


def test_mp4_export_runs_at_the_recording_s_rate_with_a_progress_bar(
        qtbot, compare: CompareView, tmp_path: Path) -> None:
    target = tmp_path / "run.mp4"
    worker = compare.export_video(target)
    bar = compare.export_bar.controls.progress_bar
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    frames = len(compare.episode.actions) + 1
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        assert sum(1 for _ in container.decode(stream)) == frames
        assert float(stream.average_rate) == pytest.approx(compare.episode.fps, rel=1e-3)
    assert bar.value() == bar.maximum() == frames
    assert [p.name for p in tmp_path.iterdir()] == ["run.mp4"]


def test_a_cancelled_export_leaves_no_file(qtbot, compare: CompareView, tmp_path: Path) -> None:
    worker = compare.export_video(tmp_path / "run.mp4")
    with qtbot.waitSignal(worker.cancelled, timeout=60_000):
        compare.export_bar.controls.cancel()
    assert list(tmp_path.iterdir()) == []
    assert compare.export_bar.controls.status.text() == "Cancelled."


def test_an_unwritable_export_is_one_line(qtbot, compare: CompareView, tmp_path: Path) -> None:
    worker = compare.export_video(tmp_path / "gone" / "run.mp4")
    with qtbot.waitSignal(worker.failed, timeout=60_000):
        pass
    message = compare.export_bar.message.text()
    assert "cannot write there" in message and "\n" not in message

