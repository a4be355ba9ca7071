"""Fixtures of the app tests: settings of their own, shown windows, one torch thread."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
import torch
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from clonelab.app.play.play_view import PlayView
from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace

W = TypeVar("W", bound=QWidget)


def shown(qtbot, widget: W) -> W:
    """`widget` shown as the active window (pytest-qt closes it after the test)."""
    qtbot.addWidget(widget)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    return widget


_TESTS_RUN = itertools.count(1)


@pytest.fixture(autouse=True)
def collect_between_tests() -> Iterator[None]:
    """Python's cycle collector runs between tests, not inside one.

    A collection that started inside the Qt event loop while a test's worker threads ran (a
    video export and Watch's clone rollout) once hung the suite: the main thread, holding the
    GIL, sat in a finalizer on a lock, and every other thread waited for the GIL. Collecting
    after the test, once its windows and jobs are shut down, takes the same garbage.
    """
    gc.disable()
    yield
    gc.enable()
    # The young generations after every test (milliseconds), everything every 25th (a full
    # collection of this heap takes a few hundred milliseconds).
    gc.collect(2 if next(_TESTS_RUN) % 25 == 0 else 1)


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> Iterator[None]:
    """Small MLPs train fastest on one thread, and much faster on a busy shared machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings in the test's own file, never the user's."""
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def open_window(qtbot, settings) -> Callable[..., MainWindow]:
    """Opens a shown, active main window on an env id, with the test's settings (pytest-qt
    closes it after the test)."""

    def open_(env_id: str = "CartPole-v1") -> MainWindow:
        return shown(qtbot, MainWindow(Workspace(env_id), settings))

    return open_


@pytest.fixture
def window(open_window) -> MainWindow:
    """A shown CartPole window whose game frame has the keys."""
    win = open_window()
    win.play.setFocus()
    return win


@pytest.fixture
def make_view(qtbot, settings) -> Iterator[Callable[..., PlayView]]:
    """Makes shown, active Play views on env ids, their frames holding the keys; shut down
    after the test."""
    views: list[PlayView] = []

    def make(env_id: str = "CartPole-v1") -> PlayView:
        view = shown(qtbot, PlayView(Workspace(env_id), settings))
        view.setFocus()
        views.append(view)
        return view

    yield make
    for view in views:
        view.shutdown()
