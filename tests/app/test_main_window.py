"""MainWindow: tabs and menus, env switching, bad input as messages, the exception hook,
drag and drop, remembered settings."""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel, QMessageBox

from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import empty_dataset

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "controls"


def messages(win: MainWindow) -> list[str]:
    return [box.text() for box in win.findChildren(QMessageBox) if box.isVisible()]


def cartpole_dataset(path: Path) -> Path:
    return empty_dataset(path, "CartPole-v1")


def drop(win: MainWindow, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    win.dropEvent(event)


def test_the_window_opens_with_its_tabs_and_menus(window):
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Play", "Datasets", "Train", "Watch", "Compare", "Failures", "Takeover",
                    "Inverse RL"]
    placeholders = [title for title, view in window.views.items() if isinstance(view, QLabel)]
    assert placeholders == []  # every tab holds its view, none a bare label
    assert window.minimumSizeHint().height() < 600  # fits a small laptop screen
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&File", "&Environment", "&Play", "&Help"]
    assert window.play.entry.env_id == "CartPole-v1"
    assert window.play.frame.frame_size() is not None


def test_switching_env_from_the_toolbar(qtbot, window, settings):
    index = window.env_combo.findData("MountainCar-v0")
    window.env_combo.activated.emit(index)
    assert window.play.entry.env_id == "MountainCar-v0"
    assert window.workspace.env_id == "MountainCar-v0" and settings.last_env == "MountainCar-v0"
    assert "MountainCar-v0" in window.windowTitle()
    checked = [a.data() for a in window._env_group.actions() if a.isChecked()]
    assert checked == ["MountainCar-v0"]


def test_a_bad_env_id_is_a_message_not_a_crash(window):
    window.select_env("NoSuchEnv-v9")
    assert any("NoSuchEnv-v9" in text for text in messages(window))
    assert window.play.entry.env_id == "CartPole-v1"
    assert window.workspace.env_id == "CartPole-v1"
    assert window.env_combo.currentData() == "CartPole-v1"
    assert "NoSuchEnv-v9" in window.statusBar().currentMessage()


def test_any_gymnasium_id_plays_with_a_json_control_map(window):
    assert window.open_other_env("MiniGrid-FourRooms-v0", ASSETS / "minigrid-four-rooms.json")
    assert window.play.entry.env_id == "MiniGrid-FourRooms-v0"
    assert window.env_combo.currentData() == "MiniGrid-FourRooms-v0"


def test_a_bad_control_map_is_a_message(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"env_id": "CartPole-v1", "action_kind": "continuous", "keyboard": {}}')
    assert not window.open_other_env("", bad)
    assert any("action_kind" in text and "bad.json" in text for text in messages(window))
    assert window.play.entry.env_id == "CartPole-v1"


def test_the_exception_hook_shows_a_message_and_keeps_the_episode(qtbot, window):
    play = window.play
    finished: list[object] = []
    play.loop.episode_finished.connect(finished.append)
    for _ in range(3):
        play.step_once()
    before = play.loop.session.steps
    real_act = play.source.act

    def broken(observation):
        play.source.act = real_act
        raise ZeroDivisionError("a bug somewhere")

    play.source.act = broken
    play.toggle_pause()  # the timer's tick raises inside Qt
    qtbot.waitUntil(lambda: any("ZeroDivisionError: a bug somewhere" in text
                                for text in messages(window)), timeout=5000)
    assert sys.excepthook == window.hook.handle
    assert not play.loop.running
    assert play.loop.in_episode and play.loop.session.steps == before == 3

    play.toggle_pause()
    qtbot.waitUntil(lambda: bool(finished), timeout=20_000)
    assert finished[0].steps > 3  # one episode: the steps before the error are in it


def test_dropping_a_dataset_directory_selects_it(window, tmp_path):
    path = cartpole_dataset(tmp_path / "dropped")
    drop(window, path)
    assert window.workspace.dataset_path == path
    assert window.settings.recent("dataset")[0] == path
    assert window.play.set_recording(True)


def test_dropping_a_dataset_of_another_env_switches_env(window, tmp_path):
    env = gymnasium.make("Acrobot-v1")
    path = tmp_path / "acrobot"
    DemoDataset.create(path, env_id="Acrobot-v1", observation_space=env.observation_space,
                       action_space=env.action_space)
    drop(window, path)
    assert window.workspace.env_id == "Acrobot-v1" and window.play.entry.env_id == "Acrobot-v1"
    assert window.play.dataset is not None


def counting_opens(monkeypatch) -> list[Path]:
    """Count `DemoDataset.open` calls from now on (the paths, in order)."""
    opened: list[Path] = []
    real_open = DemoDataset.open.__func__

    def counting_open(cls, path, **kwargs):
        opened.append(Path(path))
        return real_open(cls, path, **kwargs)

    monkeypatch.setattr(DemoDataset, "open", classmethod(counting_open))
    return opened


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1"])
def test_opening_a_dataset_opens_it_once(qtbot, window, tmp_path, monkeypatch, env_id):
    env = gymnasium.make(env_id)
    path = tmp_path / "demos"
    DemoDataset.create(path, env_id=env_id, observation_space=env.observation_space,
                       action_space=env.action_space)
    opened = counting_opens(monkeypatch)
    assert window.open_dataset(path)
    qtbot.wait(200)  # background work started by the switch has had its chance to open it
    assert opened == [path]
    assert window.workspace.env_id == env_id and window.play.dataset is window.workspace.dataset


def test_no_view_sees_a_dataset_of_another_env_on_a_switch(window, tmp_path):
    env = gymnasium.make("Acrobot-v1")
    path = tmp_path / "acrobot"
    DemoDataset.create(path, env_id="Acrobot-v1", observation_space=env.observation_space,
                       action_space=env.action_space)
    assert window.open_dataset(cartpole_dataset(tmp_path / "cartpole"))
    workspace = window.workspace
    seen: list[tuple[str, str | None]] = []

    def look() -> None:
        dataset = workspace.dataset
        seen.append((workspace.env_id, None if dataset is None else dataset.env_id))

    workspace.env_changed.connect(look)
    workspace.dataset_changed.connect(look)
    takeover = window.views["Takeover"]
    shown: list[tuple[str, str]] = []
    real_show = takeover._show
    takeover._show = lambda text, kind="note": (shown.append((text, kind)),
                                                real_show(text, kind))[-1]
    statuses: list[str] = []
    workspace.status_message.connect(statuses.append)
    assert window.open_dataset(path)
    assert seen == [("Acrobot-v1", "Acrobot-v1")]  # one signal, env and dataset agreeing
    assert shown and all(kind != "error" for _text, kind in shown)
    assert not [text for text in statuses if "CartPole" in text]  # no view spoke of the old env
    assert window.play.entry.env_id == "Acrobot-v1"


def test_dropping_a_corrupt_dataset_is_a_message(window, tmp_path):
    broken = tmp_path / "corrupt.hdf5"
    broken.write_bytes(b"not an hdf5 file at all")
    drop(window, broken)
    assert window.workspace.dataset_path is None
    assert any("corrupt.hdf5" in text for text in messages(window))


def test_dropping_a_policy_file_selects_it(window, tmp_path):
    env = gymnasium.make("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    env.close()
    policy = save_policy(tmp_path / "clone.pt", Policy(spec), TrainConfig(hidden=(8,)))
    drop(window, policy)
    assert window.workspace.policy_path == policy


def test_geometry_is_remembered(qtbot, settings):
    win = MainWindow(Workspace("CartPole-v1"), settings)
    qtbot.addWidget(win)
    win.show()
    win.setGeometry(31, 47, 700, 500)  # inside the offscreen screen's 800x600
    where = win.geometry()
    win.close()
    assert settings.geometry is not None
    again = MainWindow(Workspace("CartPole-v1"), settings)
    qtbot.addWidget(again)
    assert again.geometry() == where
    again.close()


def test_closing_keeps_the_episode_under_review_and_finishes_commits(qtbot, settings, tmp_path,
                                                                    monkeypatch):
    asked = []  # the person answers Keep (tests/app/test_quit_and_restart.py: the others)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text())
                        or int(QMessageBox.StandardButton.Save.value))
    win = MainWindow(Workspace("CartPole-v1"), settings)
    qtbot.addWidget(win)
    play = win.play
    assert play.create_dataset(tmp_path / "demos") and play.set_recording(True)
    for _ in range(2):  # one episode kept (its commit still running), one under review
        while play.pending_episode is None:
            play.step_once()
        if not play.committer.busy:
            play.keep_episode()
    assert play.pending_episode is not None
    win.close()  # returns only when both are on disk
    assert len(asked) == 1 and len(DemoDataset.open(tmp_path / "demos")) == 2


def test_opening_a_dataset_whose_index_was_rebuilt_says_so(window, tmp_path):
    path = cartpole_dataset(tmp_path / "rebuilt")
    (path / "data" / "metadata.json").unlink()
    assert window.open_dataset(path)
    assert "no metadata.json: index rebuilt from 0 episode files" in (
        window.statusBar().currentMessage())


def test_a_policy_with_nan_weights_is_a_dialog_and_changes_nothing(window, tmp_path):
    env = gymnasium.make("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    env.close()
    diverged = Policy(spec)
    for parameter in diverged.parameters():
        parameter.data.fill_(float("nan"))
    path = save_policy(tmp_path / "diverged.pt", diverged, TrainConfig(hidden=(8,)))
    assert not window.open_policy(path)
    assert any("diverged.pt" in text and "NaN or infinite" in text for text in messages(window))
    assert window.workspace.policy is None and window.settings.recent("policy") == []
