"""The Play tab's labels agree with each other and with what happened; play settings stay with
their env."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolButton

from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.workspace import Workspace


def hud(win: MainWindow) -> str:
    return "\n".join(win.play.frame.hud())


def speed_button(win: MainWindow) -> QToolButton:
    (button,) = [b for b in win.findChildren(QToolButton) if b.text().startswith("Speed")]
    return button


def test_recording_after_creating_a_dataset_says_so(window, monkeypatch, tmp_path):
    monkeypatch.setattr("clonelab.app.window.main_window.QFileDialog.getSaveFileName",
                        lambda *args, **kwargs: (str(tmp_path / "demos"), ""))
    window.play.actions.record.trigger()  # no dataset yet: New dataset, then record
    assert window.play.recording
    message = window.statusBar().currentMessage()
    assert "needs a dataset" not in message and "Recording into demos" in message


@pytest.mark.parametrize("key, shown", [(Qt.Key.Key_Minus, "0.75x"), (Qt.Key.Key_Equal, "1.25x")])
def test_the_toolbar_and_the_hud_show_the_same_speed(qtbot, window, key, shown):
    qtbot.keyClick(QApplication.focusWidget(), key)
    assert speed_button(window).text() == f"Speed {shown}"
    assert f"Speed {shown}" in hud(window)
    window.play.set_speed(0.5)
    assert speed_button(window).text() == "Speed 0.5x" and "Speed 0.5x" in hud(window)


def test_the_hud_numbers_episodes_as_the_dataset_does(qtbot, window, tmp_path):
    play = window.play
    assert play.create_dataset(tmp_path / "demos") and play.set_recording(True)
    shown = []
    for _ in range(2):
        play.step_once()
        shown.append(hud(window).splitlines()[1].split()[1])  # "Episode N   Step ..."
        while play.pending_episode is None:
            play.step_once()
        play.keep_episode()
        play.committer.drain()
        qtbot.waitUntil(lambda: not play.committer.busy, timeout=5000)
        saved = window.statusBar().currentMessage()
        assert saved == f"Saved episode {shown[-1]} to demos"
    assert shown == ["0", "1"]
    assert list(play.dataset.episode_ids) == [0, 1]


def test_speed_and_wait_for_input_stay_with_their_env(window, settings):
    play = window.play
    play.set_speed(0.5)
    play.set_wait_for_input(True)
    window.select_env("MountainCar-v0")
    assert play.loop.speed == 1.0 and not play.loop.wait_for_input
    assert speed_button(window).text() == "Speed 1x"
    assert not play.actions.wait_for_input.isChecked()
    window.select_env("MiniGrid-Empty-5x5-v0")  # turn-based: always waits
    assert play.loop.wait_for_input
    window.select_env("MountainCar-v0")
    assert not play.loop.wait_for_input
    window.select_env("CartPole-v1")
    assert play.loop.speed == 0.5 and play.loop.wait_for_input
    assert speed_button(window).text() == "Speed 0.5x" and "Speed 0.5x" in hud(window)


def test_play_settings_per_env_survive_a_restart(qtbot, window, settings):
    window.play.set_speed(0.25)
    window.close()
    again = MainWindow(Workspace("CartPole-v1"), settings)
    qtbot.addWidget(again)
    assert again.play.loop.speed == 0.25 and speed_button(again).text() == "Speed 0.25x"
