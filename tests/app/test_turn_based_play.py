"""Turn-based worlds (MiniGrid): a press is one action whatever its length, taken at the press."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from clonelab.app.play.play_view import PlayView
from clonelab.recorder.gamepad import GamepadState

MINIGRID = "MiniGrid-Empty-8x8-v0"  # 8x8: no tap here reaches the goal
FORWARD = 2


@pytest.fixture
def view(make_view):
    play = make_view(MINIGRID)
    assert play.entry.turn_based and play.loop.running and play.entry.fps == 10
    return play


def actions(view: PlayView) -> list[int]:
    return [int(a) for a in view.loop.session.finish_episode().actions]


def tap(qtbot, view: PlayView, key: Qt.Key, held_ms: int) -> None:
    qtbot.keyPress(view, key)
    qtbot.wait(held_ms)  # the loop's clock ticks every 100 ms meanwhile
    qtbot.keyRelease(view, key)


@pytest.mark.parametrize("held_ms", [150, 450])
def test_a_tap_or_a_long_press_is_one_step(qtbot, view, held_ms):
    tap(qtbot, view, Qt.Key.Key_Up, held_ms)
    qtbot.wait(300)  # three more ticks with nothing pressed
    assert actions(view) == [FORWARD]


def test_the_step_is_taken_at_the_press(qtbot, view):
    qtbot.keyPress(view, Qt.Key.Key_Up)
    assert view.loop.session.steps == 1  # not at the next tick
    qtbot.keyRelease(view, Qt.Key.Key_Up)


def test_auto_repeat_adds_no_step(qtbot, view):
    qtbot.keyPress(view, Qt.Key.Key_Up)
    for _ in range(5):  # what a held key sends after the repeat delay
        QApplication.sendEvent(view, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Up,
                                               Qt.KeyboardModifier.NoModifier, "", True))
        qtbot.wait(40)
    qtbot.keyRelease(view, Qt.Key.Key_Up)
    qtbot.wait(200)
    assert actions(view) == [FORWARD]


def key_event(kind: QEvent.Type, key: Qt.Key, stamp: int) -> QKeyEvent:
    event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier)
    event.setTimestamp(stamp)
    return event


def test_repeats_sent_as_release_and_press_add_no_step(qtbot, view):
    # What a held key sends on X11 (Xvfb, measured): repeats as an unflagged key-up and key-down
    # with one timestamp, every 40 ms after 660 ms.
    QApplication.sendEvent(view, key_event(QEvent.Type.KeyPress, Qt.Key.Key_Up, 1000))
    for stamp in range(1660, 2000, 40):
        QApplication.sendEvent(view, key_event(QEvent.Type.KeyRelease, Qt.Key.Key_Up, stamp))
        QApplication.sendEvent(view, key_event(QEvent.Type.KeyPress, Qt.Key.Key_Up, stamp))
        qtbot.wait(40)
    QApplication.sendEvent(view, key_event(QEvent.Type.KeyRelease, Qt.Key.Key_Up, 2030))
    qtbot.wait(200)
    QApplication.sendEvent(view, key_event(QEvent.Type.KeyPress, Qt.Key.Key_Up, 2400))  # anew
    QApplication.sendEvent(view, key_event(QEvent.Type.KeyRelease, Qt.Key.Key_Up, 2550))
    qtbot.wait(200)
    assert actions(view) == [FORWARD, FORWARD]


def test_separate_presses_are_separate_steps(qtbot, view):
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Left):
        tap(qtbot, view, key, 150)
    qtbot.wait(200)
    assert actions(view) == [1, FORWARD, 0]


def test_a_press_while_paused_is_no_step_later(qtbot, view):
    view.pause()
    tap(qtbot, view, Qt.Key.Key_Up, 50)
    view.toggle_pause()
    qtbot.wait(300)
    assert actions(view) == []


def test_a_held_pad_button_is_one_step(qtbot, view):
    view.poller.stop()  # the readings come from here only (no real pad reports None between)
    toggle = GamepadState(buttons=(True,))  # A: toggle
    for _ in range(6):  # the poller reads the pad every few ms; held for 300 ms
        view._on_pad(toggle)
        qtbot.wait(50)
    view._on_pad(GamepadState(buttons=(False,)))
    qtbot.wait(200)
    assert actions(view) == [5]
