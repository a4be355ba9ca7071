"""The GUI entry point: `run_app(env_id)` opens the main window and runs Qt's event loop."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from clonelab.app.window.main_window import MainWindow
from clonelab.app.window.settings import APPLICATION, ORGANIZATION, Settings
from clonelab.app.window.workspace import Workspace
from clonelab.models.device import leave_a_core_free
from clonelab.recorder.catalog import DEFAULT_ENV_ID


def run_app(env_id: str | None = None) -> int:
    """Open CloneLab on `env_id` (else the env played last, else the default); the exit code."""
    leave_a_core_free()  # training runs beside the event loop; keep the frames smooth
    app = QApplication.instance() or QApplication(sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    window = make_window(env_id, Settings())
    window.show()
    return app.exec()


def make_window(env_id: str | None, settings: Settings) -> MainWindow:
    """The main window on `env_id`; without one, on the env and the dataset of last time."""
    window = MainWindow(Workspace(env_id or settings.last_env or DEFAULT_ENV_ID), settings)
    if env_id is None:
        window.reopen_last_dataset()
    return window
