"""Opening a policy in the real window: a file that does not load is a dialog and changes
nothing (the policy in use, Recent policies, the status bar, the Watch tab)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.models.checkpoint import save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env


@pytest.fixture
def clone(window, tmp_path) -> Path:
    """A CartPole policy, opened in the window."""
    env = make_env("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    env.close()
    path = save_policy(tmp_path / "clone.pt", Policy(spec), TrainConfig(hidden=(8,)))
    assert window.open_policy(path)
    return path


def error_texts(win: MainWindow) -> list[str]:
    return [box.text() for box in win.findChildren(QMessageBox) if box.isVisible()]


def assert_unchanged(win: MainWindow, settings: Settings, clone: Path) -> None:
    watch = win.views["Watch"]
    assert win.workspace.policy_path == clone and win.workspace.policy is not None
    assert settings.recent("policy") == [clone]
    assert not win.statusBar().currentMessage().startswith("Policy junk")
    assert watch.policy_label.text() == "clone.pt playing CartPole-v1"
    assert watch.play_button.isEnabled() and watch.message.text() == ""


def file_action(win: MainWindow, text: str):
    file_menu = win.menuBar().actions()[0].menu()
    return next(action for action in file_menu.actions() if action.text() == text)


def test_file_open_policy_on_a_text_file_is_a_dialog_and_changes_nothing(
        window, settings, clone, tmp_path, monkeypatch):
    junk = tmp_path / "junk.txt"
    junk.write_text("not a policy\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(junk), "")))
    file_action(window, "Open &policy…").trigger()
    assert any("junk.txt" in text for text in error_texts(window))
    assert_unchanged(window, settings, clone)


def test_dropping_a_file_that_is_not_a_policy_changes_nothing(window, settings, clone,
                                                              tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"weights")
    window.open_policy(junk)  # as a drop does
    assert any("junk.pt" in text for text in error_texts(window))
    assert_unchanged(window, settings, clone)


def test_a_recent_policy_deleted_since_is_a_dialog_and_changes_nothing(window, settings, clone,
                                                                      tmp_path):
    gone = tmp_path / "junk-gone.pt"
    gone.write_bytes(b"weights")
    settings.add_recent("policy", gone)
    gone.unlink()
    menu = window._recent_policies
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == str(gone)).trigger()
    assert any("no such policy file" in text for text in error_texts(window))
    assert window.workspace.policy_path == clone
    assert settings.recent("policy") == [gone, clone]  # as it was: the list is the person's
    assert window.views["Watch"].policy_label.text() == "clone.pt playing CartPole-v1"


def test_the_watch_tabs_load_button_on_a_broken_file_keeps_the_policy(
        window, settings, clone, tmp_path, monkeypatch):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(clone.read_bytes()[:200])  # a truncated checkpoint
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(junk), "")))
    window.views["Watch"].load_button.click()
    assert any("junk.pt" in text for text in error_texts(window))
    assert_unchanged(window, settings, clone)


def test_a_trained_policy_that_does_not_load_is_a_message_in_the_train_tab(
        window, clone, tmp_path, monkeypatch):
    def save_nan_weights(path, *_args, **_kwargs):  # a run that diverged, say
        Path(path).write_bytes(b"weights")
        return Path(path)

    monkeypatch.setattr("clonelab.app.train.train_panel.save_policy", save_nan_weights)
    train = window.views["Train"]
    train._config = TrainConfig(hidden=(8,))
    train.save_edit.setText(str(tmp_path / "diverged.pt"))
    train._on_trained(SimpleNamespace(policy=None, dataset_fingerprint=""))
    assert "does not load" in train.message.text() and "diverged.pt" in train.message.text()
    assert window.workspace.policy_path == clone
