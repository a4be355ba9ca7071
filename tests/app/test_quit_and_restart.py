"""Quitting asks before it loses or keeps anything; a restart brings the last dataset back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

from clonelab.app.widgets.job_controls import JobControls
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.dataset import DemoDataset

Button = QMessageBox.StandardButton


@pytest.fixture
def settings(tmp_path):
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


class Answers(list):
    """The questions asked (their text) with the answer each got; `next` holds the answers."""

    next: list[QMessageBox.StandardButton]


@pytest.fixture
def answers(monkeypatch) -> Answers:
    record = Answers()
    record.next = []

    def exec_(box: QMessageBox) -> int:
        # Once a test's answers are used up (pytest-qt closes its windows at the end): Discard.
        answer = record.next.pop(0) if record.next else Button.Discard
        record.append((box.text(), answer))
        return int(answer.value)

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return record


@pytest.fixture
def window(qtbot, settings):
    win = MainWindow(Workspace("CartPole-v1"), settings)
    qtbot.addWidget(win)
    win.show()
    return win


def finished_episode_under_review(win: MainWindow, path: Path) -> None:
    play = win.play
    assert play.create_dataset(path) and play.set_recording(True)
    while play.pending_episode is None:
        play.step_once()


def close(win: MainWindow) -> bool:
    """Close as the window manager does; whether the window accepted."""
    event = QCloseEvent()
    win.closeEvent(event)
    return event.isAccepted()


def test_cancel_keeps_the_window_and_the_episode_under_review(window, answers, tmp_path):
    finished_episode_under_review(window, tmp_path / "demos")
    answers.next = [Button.Cancel]
    assert not close(window)
    assert "not kept or discarded yet" in answers[0][0] and "demos" in answers[0][0]
    assert window.play.pending_episode is not None
    window.play.committer.drain()
    assert len(DemoDataset.open(tmp_path / "demos")) == 0  # nothing saved unasked


def test_discard_quits_without_saving(window, answers, tmp_path):
    finished_episode_under_review(window, tmp_path / "demos")
    answers.next = [Button.Discard]
    assert close(window)
    assert len(DemoDataset.open(tmp_path / "demos")) == 0


def test_keep_quits_once_the_episode_is_saved(window, answers, tmp_path):
    finished_episode_under_review(window, tmp_path / "demos")
    answers.next = [Button.Save]
    assert close(window)
    assert len(DemoDataset.open(tmp_path / "demos")) == 1


def test_nothing_to_lose_asks_nothing(window, answers):
    window.play.step_once()  # an episode under way is not a finished one
    assert close(window)
    assert answers == []


def test_quitting_while_training_asks_first(qtbot, window, answers):
    train = window.views["Train"].findChildren(JobControls)[0]
    assert train.runner.start(lambda cancel: cancel.wait(10))  # a job that runs until cancelled
    answers.next = [Button.Cancel, Button.Yes]
    assert not close(window)
    assert train.runner.busy
    assert "Train in the Train tab" in answers[0][0]
    assert close(window)  # the Train tab's close cancels its job
    qtbot.waitUntil(lambda: not train.runner.busy, timeout=5000)
