"""One-key shortcuts on the real MainWindow: no game key shadows them, the hints name keys that
work, each acts in its own tab only, and keys reach the game after a dialog."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from clonelab.app.play.qt_keys import key_name, qt_key
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.catalog import CATALOG
from clonelab.recorder.keyboard import APP_KEYS

MINIGRID = "MiniGrid-Empty-5x5-v0"


@pytest.fixture
def settings(tmp_path):
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def open_window(qtbot, settings):
    windows: list[MainWindow] = []

    def open_(env_id: str = "CartPole-v1") -> MainWindow:
        win = MainWindow(Workspace(env_id), settings)
        qtbot.addWidget(win)
        with qtbot.waitActive(win):
            win.show()
            win.activateWindow()
        windows.append(win)
        return win

    yield open_
    for win in windows:
        win.close()


def one_key_shortcuts(win: MainWindow) -> dict[str, str]:
    """Key name -> action text, for every shortcut of a single unmodified key."""
    found = {}
    for action in win.findChildren(type(win.play.actions.pause)):
        for sequence in action.shortcuts():
            combined = sequence[0] if sequence.count() == 1 else None
            if combined is not None and combined.keyboardModifiers() == Qt.KeyboardModifier(0):
                name = key_name(combined.key())
                if name is not None:
                    found[name] = action.text()
    return found


def press_in_focus(qtbot, key: Qt.Key | int) -> None:
    """A key press and release as the keyboard delivers it: to the focused widget."""
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, key)


def test_the_window_shortcuts_are_the_app_keys_and_no_game_binds_them(open_window):
    shortcuts = one_key_shortcuts(open_window())
    assert set(shortcuts) == set(APP_KEYS)  # one place: recorder.keyboard.APP_SHORTCUTS
    for env_id, entry in CATALOG.items():
        assert not entry.keyboard.bound_names & set(shortcuts), env_id


def test_the_hint_names_a_key_that_starts_play_in_minigrid(qtbot, open_window):
    win = open_window(MINIGRID)
    play = win.play
    play.pause()
    hint = play.frame.banner()
    key = hint.split(":")[0].strip()
    assert hint.endswith(": play")
    press_in_focus(qtbot, QKeySequence(key)[0].key())
    assert play.loop.running


def test_minigrid_pickup_and_drop_play_on_their_keys(qtbot, open_window):
    play = open_window(MINIGRID).play
    for count, name in enumerate(("tab", "shift"), start=1):
        press_in_focus(qtbot, Qt.Key(qt_key(name)))
        qtbot.waitUntil(lambda count=count: play.loop.session.steps >= count, timeout=2000)
    play.pause()
    assert np.asarray(play.loop.session.finish_episode().actions).tolist() == [3, 4]
