"""Deleting episodes in the real window: "Delete last episode" acts on the dataset on screen,
names it, and is undone through the same undo stack as the Datasets tab's Delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from clonelab.app.window.main_window import MainWindow
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def episode_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """The episode files of `contents`: what a deletion would change. (Opening a dataset
    may sync its index files, episodes.jsonl, metadata.json and main_data.hdf5, with the
    commits in its journal: docs/scale.md.)"""
    return {name: data for name, data in files.items() if name.startswith("data/episodes/")}


def record_one(qtbot, win: MainWindow) -> int:
    """Play a CartPole episode to its end (no keys: the pole falls) and keep it."""
    play = win.play
    assert play.set_recording(True)
    while play.pending_episode is None:
        play.step_once()
    with qtbot.waitSignal(play.committer.committed, timeout=10_000) as committed:
        play.keep_episode()
    play.set_recording(False)
    return committed.args[0]


@pytest.fixture
def two_datasets(qtbot, window, tmp_path):
    """A (CartPole) holding an episode just recorded and kept, then B (Acrobot) opened as
    Recent datasets opens it. Returns A's path, A's files then, B's path, B's files then."""
    a_path = expert_dataset(tmp_path / "cartpole-demos", "CartPole-v1", seeds=(0, 1),
                            max_steps=20).path
    b_path = expert_dataset(tmp_path / "acrobot-demos", "Acrobot-v1", seeds=(0, 1, 2),
                            max_steps=20).path
    assert window.open_dataset(a_path)
    assert record_one(qtbot, window) == 2
    assert window.open_dataset(b_path)
    assert window.workspace.env_id == "Acrobot-v1" and window.play.entry.env_id == "Acrobot-v1"
    # The files once both are settled: leaving A and opening B sync their Minari index files
    # with the commits in their journals (docs/scale.md), which no deletion is to blame for.
    a_files, b_files = contents(a_path), contents(b_path)
    return a_path, a_files, b_path, b_files


def test_delete_last_acts_on_the_dataset_on_screen_and_undo_restores_it(
        qtbot, window, two_datasets):
    a_path, a_files, b_path, b_files = two_datasets
    play, browser = window.play, window.views["Datasets"]
    assert play.actions.delete_last.isEnabled()

    button = window.findChild(QToolBar, "playToolbar").widgetForAction(play.actions.delete_last)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "Deleted episode 2 of acrobot-demos" in window.statusBar().currentMessage()
    assert browser.visible_ids() == [0, 1]  # gone from the screen at once...
    assert play.undo_delete.isEnabled()
    assert "episode 2 of acrobot-demos" in play.undo_delete.text()
    assert contents(a_path) == a_files  # ...and A untouched

    window.tabs.setCurrentWidget(window.tabs.widget(1))  # the Datasets tab: one undo for both
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert browser.visible_ids() == [0, 1, 2]
    assert not play.undo_delete.isEnabled()

    window.workspace.deletions.commit()  # the undo window closes: nothing was left to delete
    # The files first: opening a dataset whose journal holds commits syncs Minari's index
    # files (docs/scale.md), which is an open's doing, not the deletion's.
    assert contents(a_path) == a_files and contents(b_path) == b_files
    assert DemoDataset.open(a_path).episode_ids == (0, 1, 2)
    assert DemoDataset.open(b_path).episode_ids == (0, 1, 2)


def test_delete_last_reaches_the_disk_of_the_dataset_on_screen_only(qtbot, window,
                                                                   two_datasets):
    a_path, a_files, b_path, _b_files = two_datasets
    window.play.actions.delete_last.trigger()
    window.play.actions.delete_last.trigger()  # the last one left: episode 1
    assert "Deleted episode 1 of acrobot-demos" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.workspace.dataset_changed, timeout=5_000):
        window.workspace.deletions.commit()  # the undo window closes
    assert DemoDataset.open(b_path).episode_ids == (0,)
    assert window.views["Datasets"].visible_ids() == [0]
    assert contents(a_path) == a_files
    assert DemoDataset.open(a_path).episode_ids == (0, 1, 2)


def test_deletions_pending_in_one_dataset_reach_it_when_another_opens(qtbot, window,
                                                                     two_datasets):
    a_path, a_files, b_path, _b_files = two_datasets
    window.play.actions.delete_last.trigger()
    assert window.open_dataset(a_path)  # B's deletion goes to B, not to A
    assert DemoDataset.open(b_path).episode_ids == (0, 1)
    assert len(episode_files(a_files)) == 3
    assert episode_files(contents(a_path)) == episode_files(a_files)
    assert DemoDataset.open(a_path).episode_ids == (0, 1, 2)
    assert not window.play.undo_delete.isEnabled()
    assert window.views["Datasets"].visible_ids() == [0, 1, 2]


def test_nothing_to_delete_in_an_empty_dataset(qtbot, window, tmp_path):
    assert window.play.create_dataset(tmp_path / "empty")
    assert not window.play.actions.delete_last.isEnabled()
