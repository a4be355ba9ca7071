"""Watch and the Datasets player export MP4 and GIF through their export bar, as a person does:
pick the format, click Export video..., name the file; the file decodes to the episode's frames
at its frame rate, and a cancel leaves nothing."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from clonelab.app.datasets.dataset_browser import DatasetBrowser
from clonelab.app.watch.watch_view import WatchView
from clonelab.app.widgets import video_export_bar
from clonelab.app.widgets.video_export_bar import VideoExportBar
from clonelab.models.checkpoint import save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import env_fps, make_env
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, workspace_on

ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A short CartPole dataset, a MiniGrid one (image observations) and an untrained clone
    (what it plays does not matter to the export)."""
    root = tmp_path_factory.mktemp("export_views")
    cartpole = expert_dataset(root / "cartpole", ENV_ID, seeds=(0,), max_steps=30)
    grid = expert_dataset(root / "grid", "MiniGrid-Empty-5x5-v0", seeds=(0,))
    env = make_env(ENV_ID)
    spec = PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    env.close()
    clone = save_policy(root / "clone.pt", Policy(spec), TrainConfig(steps=1))
    return {"cartpole": cartpole.path, "grid": grid.path, "clone": clone}


def click_export(qtbot, monkeypatch, bar: VideoExportBar, target: Path, fmt: str) -> None:
    """Choose `fmt` in the bar, click Export video... and answer the save dialog with
    `target` (without its suffix: the bar adds the format's)."""
    monkeypatch.setattr(video_export_bar.QFileDialog, "getSaveFileName",
                        lambda *_args: (str(target.with_suffix("")), ""))
    bar.format_combo.setCurrentText(fmt.upper())
    assert bar.controls.run_button.isEnabled()
    with qtbot.waitSignal(bar.runner.started, timeout=10_000):
        qtbot.mouseClick(bar.controls.run_button, Qt.MouseButton.LeftButton)


def decoded(path: Path) -> tuple[int, float]:
    """(frames, frames per second) of a video file, decoded."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)), float(stream.average_rate)


def export_and_wait(qtbot, monkeypatch, bar: VideoExportBar, target: Path, fmt: str) -> None:
    """`click_export`, then wait for the file: saved, the progress bar full."""
    click_export(qtbot, monkeypatch, bar, target, fmt)
    with qtbot.waitSignal(bar.runner.finished, timeout=60_000):
        pass
    assert "Saved" in bar.message.text()
    assert bar.controls.progress_bar.value() == bar.controls.progress_bar.maximum()


@pytest.fixture
def watch(qtbot, files) -> WatchView:
    state = workspace_on(files["cartpole"], ENV_ID)
    state.open_policy(files["clone"])
    view = WatchView(state)
    qtbot.addWidget(view)
    yield view
    view.shutdown()


def play_to_the_end(watch: WatchView, seed: int) -> int:
    """Play the episode from `seed` to its end in the view; its number of steps."""
    ended = []
    watch.loop.episode_finished.connect(ended.append)
    watch.repeat.setChecked(False)
    watch.new_episode(seed=seed)
    while not ended:
        watch.step_once()
    return ended[0].steps


def test_watch_exports_the_episode_shown_as_mp4(qtbot, monkeypatch, watch: WatchView,
                                                tmp_path: Path) -> None:
    steps = play_to_the_end(watch, seed=5)
    target = tmp_path / "watch.mp4"
    export_and_wait(qtbot, monkeypatch, watch.export_bar, target, "mp4")
    frames, fps = decoded(target)
    assert frames == steps + 1  # the reset frame, then one per step
    assert fps == pytest.approx(env_fps(ENV_ID, watch._env), rel=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == ["watch.mp4"]


def test_watch_exports_a_gif_and_a_cancel_leaves_nothing(qtbot, monkeypatch, watch: WatchView,
                                                         tmp_path: Path) -> None:
    steps = play_to_the_end(watch, seed=2)
    target = tmp_path / "watch.gif"
    export_and_wait(qtbot, monkeypatch, watch.export_bar, target, "gif")
    with Image.open(target) as gif:
        assert gif.n_frames == steps + 1
    cancelled = tmp_path / "cancelled.mp4"
    click_export(qtbot, monkeypatch, watch.export_bar, cancelled, "mp4")
    with qtbot.waitSignal(watch.export_bar.runner.cancelled, timeout=60_000):
        qtbot.mouseClick(watch.export_bar.controls.cancel_button, Qt.MouseButton.LeftButton)
    assert [p.name for p in tmp_path.iterdir()] == ["watch.gif"]


@pytest.fixture
def browser(qtbot) -> DatasetBrowser:
    views: list[DatasetBrowser] = []

    def make(dataset: Path, env_id: str) -> DatasetBrowser:
        view = DatasetBrowser(workspace_on(dataset, env_id))
        qtbot.addWidget(view)
        views.append(view)
        return view

    yield make
    for view in views:
        view.timeline.shutdown()


def test_the_datasets_player_exports_a_resimulated_episode_as_mp4(
        qtbot, monkeypatch, browser, files, tmp_path: Path) -> None:
    view = browser(files["cartpole"], ENV_ID)
    timeline = view.timeline
    assert not timeline.export_bar.controls.run_button.isEnabled()  # no episode, no frames
    view.select_episode(0)
    qtbot.waitUntil(lambda: timeline.replay_result() is not None, timeout=30_000)
    episode = DemoDataset.open(files["cartpole"]).load_episode(0)
    target = tmp_path / "episode.mp4"
    export_and_wait(qtbot, monkeypatch, timeline.export_bar, target, "mp4")
    frames, fps = decoded(target)
    assert frames == len(episode.actions) + 1
    assert fps == pytest.approx(episode.fps, rel=1e-3)


def test_the_datasets_player_exports_recorded_frames_as_gif(
        qtbot, monkeypatch, browser, files, tmp_path: Path) -> None:
    view = browser(files["grid"], "MiniGrid-Empty-5x5-v0")
    view.select_episode(0)
    timeline = view.timeline
    episode = DemoDataset.open(files["grid"]).load_episode(0)
    target = tmp_path / "grid.gif"
    export_and_wait(qtbot, monkeypatch, timeline.export_bar, target, "gif")
    with Image.open(target) as gif:
        assert gif.n_frames == len(episode.observations)
