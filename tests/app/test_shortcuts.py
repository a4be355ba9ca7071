"""One-key shortcuts on the real MainWindow: no game key shadows them, the hints name keys that
work, each acts in its own tab only, and keys reach the game after a dialog."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget

from clonelab.app.play.qt_keys import key_name, qt_key
from clonelab.app.window.main_window import MainWindow
from clonelab.recorder.catalog import CATALOG
from clonelab.recorder.keyboard import APP_KEYS

MINIGRID = "MiniGrid-Empty-5x5-v0"


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


def record_one_episode(win: MainWindow, path) -> None:
    play = win.play
    assert play.create_dataset(path) and play.set_recording(True)
    while play.pending_episode is None:
        play.step_once()
    play.keep_episode()
    play.committer.drain()


def show_tab(qtbot, win: MainWindow, title: str, focus=None) -> None:
    """Show a tab as a click on it does, then focus `focus` (a widget in it) if given."""
    index = [win.tabs.tabText(i) for i in range(win.tabs.count())].index(title)
    win.tabs.setCurrentIndex(index)
    target = focus or win.tabs.tabBar()
    target.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is target, timeout=2000)


def test_del_deletes_in_the_datasets_tab_without_ambiguity(qtbot, qtlog, open_window, tmp_path):
    win = open_window()
    record_one_episode(win, tmp_path / "demos")
    browser = win.views["Datasets"]
    qtbot.waitUntil(lambda: browser.visible_ids() == [0], timeout=5000)
    show_tab(qtbot, win, "Datasets", focus=browser.table)
    browser.select_episode(0)
    press_in_focus(qtbot, Qt.Key.Key_Delete)  # the button animates its click: 100 ms
    qtbot.waitUntil(lambda: browser.visible_ids() == [], timeout=2000)  # hidden, undoable
    assert not [m for m in qtlog.records if "Ambiguous" in m.message]


@pytest.mark.parametrize("focus_in_view", [False, True], ids=["tab bar", "view"])
def test_play_keys_do_nothing_in_the_train_tab(qtbot, open_window, monkeypatch, focus_in_view):
    asked: list[str] = []
    monkeypatch.setattr("clonelab.app.window.main_window.QFileDialog.getSaveFileName",
                        lambda *args, **kwargs: (asked.append("new dataset"), ("", ""))[1])
    win = open_window()
    play = win.play
    train = win.views["Train"]
    show_tab(qtbot, win, "Train", focus=train if focus_in_view else None)
    for key in (Qt.Key.Key_R, Qt.Key.Key_P, Qt.Key.Key_Period, Qt.Key.Key_K, Qt.Key.Key_D):
        press_in_focus(qtbot, key)
    assert asked == [] and not play.recording
    assert not play.loop.running and play.loop.session.steps == 0


def test_play_keys_act_in_the_play_tab(qtbot, open_window):
    win = open_window()
    show_tab(qtbot, win, "Datasets")
    show_tab(qtbot, win, "Play", focus=win.play)
    press_in_focus(qtbot, Qt.Key.Key_Period)
    assert win.play.loop.session.steps == 1
    press_in_focus(qtbot, Qt.Key.Key_P)
    assert win.play.loop.running


def holding_right_steps_right(qtbot, play) -> bool:
    """Hold Right where the keyboard's focus is, take one step: did the game go right?"""
    focus = QApplication.focusWidget()
    qtbot.keyPress(focus, Qt.Key.Key_Right)
    play.step_once()
    qtbot.keyRelease(focus, Qt.Key.Key_Right)
    return play.loop.session.finish_episode().actions.tolist()[-1:] == [1]


def test_keys_reach_the_game_after_a_dialog_without_a_click(qtbot, open_window):
    win = open_window()
    box = QMessageBox(QMessageBox.Icon.Information, "Note", "A dialog", 
                      QMessageBox.StandardButton.Ok, win)
    box.open()
    box.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() in box.buttons(), timeout=2000)
    box.close()  # no window manager here hands the focus back: the window takes it
    qtbot.waitUntil(lambda: QApplication.focusWidget() is win.play, timeout=2000)
    assert holding_right_steps_right(qtbot, win.play)


def test_the_play_tab_takes_the_keys_whenever_it_shows(qtbot, open_window):
    win = open_window()
    show_tab(qtbot, win, "Datasets")  # focus on the tab bar, as after a click on a tab
    win.tabs.setCurrentIndex(0)
    assert QApplication.focusWidget() is win.play
    assert holding_right_steps_right(qtbot, win.play)


def leave_and_come_back(qtbot, win: MainWindow) -> None:
    """Activate another window, then `win` again."""
    other = QWidget()
    qtbot.addWidget(other)
    with qtbot.waitActive(other):
        other.show()
        other.activateWindow()
    with qtbot.waitActive(win):
        win.activateWindow()


def test_coming_back_to_the_window_gives_the_game_the_keys(qtbot, open_window):
    win = open_window()
    win.tabs.tabBar().setFocus()
    leave_and_come_back(qtbot, win)
    assert QApplication.focusWidget() is win.play


def test_coming_back_leaves_the_episode_notes_being_typed(qtbot, open_window):
    win = open_window()
    notes = win.play.review.findChildren(QLineEdit)[-1]
    win.play.review.show()
    notes.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is notes, timeout=2000)
    leave_and_come_back(qtbot, win)
    assert QApplication.focusWidget() is notes


def test_the_takeover_tab_takes_the_keys_when_it_shows(qtbot, open_window):
    win = open_window()
    show_tab(qtbot, win, "Datasets")
    win.tabs.setCurrentIndex([win.tabs.tabText(i) for i in range(win.tabs.count())]
                             .index("Takeover"))
    assert QApplication.focusWidget() is win.views["Takeover"]
