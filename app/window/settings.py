"""Remembered settings (QSettings): operator, recent files, control maps, window geometry,
where datasets' workspace folders go."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)

ORGANIZATION = "CloneLab"
APPLICATION = "CloneLab"
MAX_RECENT = 8


class Settings:
    """Typed access to the app's QSettings; a fresh `QSettings(path, IniFormat)` in tests."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)

    @property
    def operator(self) -> str:
        """Who is recording; stored in every dataset created."""
        return str(self._q.value("operator", "", type=str))

    @operator.setter
    def operator(self, name: str) -> None:
        self._q.setValue("operator", name.strip())

    @property
    def last_env(self) -> str | None:
        """The env played last, opened again at start."""
        value = self._q.value("last_env", "", type=str)
        return str(value) or None

    @last_env.setter
    def last_env(self, env_id: str) -> None:
        self._q.setValue("last_env", env_id)

    @property
    def last_dataset(self) -> Path | None:
        """The dataset open when CloneLab last quit, opened again at start."""
        value = str(self._q.value("last_dataset", "", type=str))
        return Path(value) if value else None

    @last_dataset.setter
    def last_dataset(self, path: Path | None) -> None:
        self._q.setValue("last_dataset", str(path) if path is not None else "")

    @property
    def workspace_root(self) -> Path | None:
        """Where datasets' workspace folders (takeover rounds, clones, runs) go; None: beside
        each dataset (`recorder.workspace_folder`)."""
        value = str(self._q.value("workspace/root", "", type=str))
        return Path(value) if value else None

    @workspace_root.setter
    def workspace_root(self, path: Path | None) -> None:
        self._q.setValue("workspace/root", str(path) if path is not None else "")

    def recent(self, kind: str) -> list[Path]:
        """Recently opened files of a kind ("dataset" or "policy"), newest first."""
        raw = self._q.value(f"recent/{kind}", "[]", type=str)
        try:
            paths = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("ignoring unreadable recent-%s list in settings", kind)
            return []
        return [Path(p) for p in paths if isinstance(p, str)]

    def add_recent(self, kind: str, path: Path) -> None:
        """Put a path first in its recent list (deduplicated, at most MAX_RECENT)."""
        paths = [str(path)] + [str(p) for p in self.recent(kind) if p != path]
        self._q.setValue(f"recent/{kind}", json.dumps(paths[:MAX_RECENT]))

    def control_map(self, env_id: str) -> dict[str, Any] | None:
        """The user's remapped controls for an env as saved JSON, or None."""
        raw = self._q.value(f"controls/{env_id}", "", type=str)
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("ignoring unreadable saved controls for %s", env_id)
            return None
        return data if isinstance(data, dict) else None

    def set_control_map(self, env_id: str, data: dict[str, Any] | None) -> None:
        """Save (or with None forget) the user's controls for an env."""
        if data is None:
            self._q.remove(f"controls/{env_id}")
        else:
            self._q.setValue(f"controls/{env_id}", json.dumps(data))

    def play_options(self, env_id: str) -> tuple[float, bool]:
        """The speed and the wait-for-input switch last set for an env (1.0 and off at first)."""
        try:
            speed = float(self._q.value(f"play/{env_id}/speed", 1.0))
        except (TypeError, ValueError):
            speed = 1.0
        wait = str(self._q.value(f"play/{env_id}/wait_for_input", "false")).lower() == "true"
        return speed, wait

    def set_play_option(self, env_id: str, name: str, value: float | bool) -> None:
        """Remember an env's "speed" or "wait_for_input" for the next time it is played."""
        self._q.setValue(f"play/{env_id}/{name}", value)

    @property
    def geometry(self) -> QByteArray | None:
        """The main window's saved geometry."""
        value = self._q.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._q.setValue("window/geometry", value)

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._q.sync()
