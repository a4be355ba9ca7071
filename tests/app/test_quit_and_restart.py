"""Quitting asks before it loses or keeps anything; a restart brings the last dataset back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

from clonelab.app.widgets.job_controls import JobControls
from clonelab.app.window.main import make_window
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import empty_dataset

Button = QMessageBox.StandardButton


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


def lander_dataset(path: Path) -> Path:
    return empty_dataset(path, "LunarLander-v3")


def restart(qtbot, settings: Settings, env_id: str | None = None) -> MainWindow:
    win = make_window(env_id, settings)
    qtbot.addWidget(win)
    return win


def test_a_restart_reopens_the_last_dataset_and_its_env(qtbot, window, settings, tmp_path):
    path = lander_dataset(tmp_path / "lander")
    assert window.open_dataset(path)
    window.close()
    again = restart(qtbot, settings)
    assert again.workspace.dataset_path == path and again.workspace.dataset is not None
    assert again.workspace.env_id == again.play.entry.env_id == "LunarLander-v3"
    assert "Reopened dataset lander" in again.statusBar().currentMessage()


def test_an_env_asked_for_opens_no_dataset(qtbot, window, settings, tmp_path):
    assert window.open_dataset(lander_dataset(tmp_path / "lander"))
    window.close()
    again = restart(qtbot, settings, "CartPole-v1")
    assert again.workspace.dataset_path is None and again.workspace.env_id == "CartPole-v1"


def test_a_last_dataset_that_is_gone_is_said_and_nothing_opens(qtbot, window, settings, tmp_path):
    path = lander_dataset(tmp_path / "lander")
    assert window.open_dataset(path)
    window.close()
    shutil.rmtree(path)
    again = restart(qtbot, settings)
    assert again.workspace.dataset_path is None
    assert f"The last dataset, {path}, is gone; none opened" in again.statusBar().currentMessage()
    assert not [box for box in again.findChildren(QMessageBox) if box.isVisible()]
    assert settings.last_dataset is None  # said once


def test_a_broken_last_dataset_is_said_and_nothing_opens(qtbot, window, settings, tmp_path):
    path = lander_dataset(tmp_path / "lander")
    assert window.open_dataset(path)
    window.close()
    for file in path.rglob("*"):
        if file.is_file():
            file.write_bytes(b"\\0" * 16)  # zeroed by a bad disk
    again = restart(qtbot, settings)
    message = again.statusBar().currentMessage()
    assert again.workspace.dataset is None
    assert message.startswith(f"The last dataset, {path}, does not open: ")
    assert "\\n" not in message
    assert not [box for box in again.findChildren(QMessageBox) if box.isVisible()]


def test_switching_env_with_an_episode_under_review_asks_first(window, answers, tmp_path):
    finished_episode_under_review(window, tmp_path / "demos")
    answers.next = [Button.Cancel]
    window.select_env("MountainCar-v0")
    assert "before switching to MountainCar-v0" in answers[0][0]
    assert window.play.entry.env_id == window.workspace.env_id == "CartPole-v1"
    assert window.play.pending_episode is not None
    answers.next = [Button.Save]
    window.select_env("MountainCar-v0")
    assert window.play.entry.env_id == "MountainCar-v0"
    window.play.committer.drain()
    assert len(DemoDataset.open(tmp_path / "demos")) == 1  # kept, as answered


def test_switching_env_and_discarding_saves_nothing(window, answers, tmp_path):
    finished_episode_under_review(window, tmp_path / "demos")
    answers.next = [Button.Discard]
    window.select_env("MountainCar-v0")
    assert window.play.entry.env_id == "MountainCar-v0"
    window.play.committer.drain()
    assert len(DemoDataset.open(tmp_path / "demos")) == 0
