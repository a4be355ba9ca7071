"""The app's shared selection: which env, dataset and policy the views are working on."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal


class AppState(QObject):
    """Holds the current env id, dataset path and policy path, and announces changes.

    Views take the state in their constructor, read it, and subscribe to its signals; nothing
    else is shared between views.
    """

    env_changed = Signal(str)
    dataset_changed = Signal(object)  # Path | None
    policy_changed = Signal(object)  # Path | None
    status_message = Signal(str)

    def __init__(self, env_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._env_id = env_id
        self._dataset_path: Path | None = None
        self._policy_path: Path | None = None

    @property
    def env_id(self) -> str:
        """The environment the Play view builds."""
        return self._env_id

    def set_env_id(self, env_id: str) -> None:
        """Select an environment and tell the views."""
        if env_id != self._env_id:
            self._env_id = env_id
            self.env_changed.emit(env_id)

    @property
    def dataset_path(self) -> Path | None:
        """The dataset recordings go to and the browser shows."""
        return self._dataset_path

    def set_dataset_path(self, path: Path | None) -> None:
        """Select a dataset and tell the views."""
        self._dataset_path = path
        self.dataset_changed.emit(path)

    @property
    def policy_path(self) -> Path | None:
        """The policy checkpoint the Watch and Compare views run."""
        return self._policy_path

    def set_policy_path(self, path: Path | None) -> None:
        """Select a policy and tell the views."""
        self._policy_path = path
        self.policy_changed.emit(path)

    def show_status(self, message: str) -> None:
        """Ask the main window to show a message in its status bar."""
        self.status_message.emit(message)
