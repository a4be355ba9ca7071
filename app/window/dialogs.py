"""Small dialogs of the main window: preferences, another gymnasium id, shortcut help."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from clonelab.app.play.play_actions import PlayActions


def _browse_row(edit: QLineEdit, on_browse: Callable[[], None]) -> QHBoxLayout:
    """`edit` with a Browse… button after it."""
    browse = QPushButton("Browse…")
    browse.clicked.connect(on_browse)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row


def _lay_out(dialog: QDialog, rows: list[tuple[str, QWidget | QLayout]]) -> None:
    """A form of labelled rows, then OK and Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    for label, field in rows:
        form.addRow(label, field)
    form.addRow(buttons)


class PreferencesDialog(QDialog):
    """The operator's name (stored in every dataset created) and where datasets' workspace
    folders go (`workspace_root`: None for beside each dataset)."""

    def __init__(self, operator: str, workspace_root: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.operator = QLineEdit(operator)
        self.operator.setPlaceholderText("your name or initials")
        self.operator.setToolTip("Recorded as the operator of the datasets you create")
        self.root = QLineEdit(str(workspace_root) if workspace_root is not None else "")
        self.root.setPlaceholderText("beside each dataset: <dataset>.clonelab")
        self.root.setToolTip("Where each dataset's workspace folder goes: its takeover rounds, "
                             "clones and IRL runs (created when first used)")
        _lay_out(self, [("Operator", self.operator),
                        ("Workspace folders", _browse_row(self.root, self._on_browse_clicked))])

    @property
    def workspace_root(self) -> Path | None:
        """The chosen root of workspace folders; None for beside each dataset."""
        text = self.root.text().strip()
        return Path(text).expanduser() if text else None

    def _on_browse_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Workspace folders go in", self.root.text())
        if path:
            self.root.setText(path)


class OtherEnvDialog(QDialog):
    """Any gymnasium id together with a JSON control map (docs/controls.md)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Other environment")
        self.env_id = QLineEdit()
        self.env_id.setPlaceholderText("e.g. Taxi-v3 (optional: the map names its env)")
        self.map_path = QLineEdit()
        self.map_path.setPlaceholderText("controls.json")
        _lay_out(self, [("Gymnasium id", self.env_id),
                        ("Control map", _browse_row(self.map_path, self._on_browse_clicked))])

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Control map", "", "Control maps (*.json)")
        if path:
            self.map_path.setText(path)

    def choice(self) -> tuple[str, Path]:
        """The typed id (may be empty) and the control map's path."""
        return self.env_id.text().strip(), Path(self.map_path.text().strip())


def shortcuts_text(actions: PlayActions) -> str:
    """An HTML table of the play shortcuts."""
    rows = []
    for action in (actions.pause, actions.step, actions.restart, actions.record,
                   actions.wait_for_input, actions.slower, actions.faster, actions.keep,
                   actions.discard, actions.delete_last, actions.controls):
        keys = ", ".join(key.toString() for key in action.shortcuts())
        rows.append(f"<tr><td><b>{keys}</b></td><td>{action.text()}</td></tr>")
    return (
        "<table>" + "".join(rows) + "</table>"
        "<p>The Play tab's shortcuts act in the Play tab only. No game binds their keys "
        "(the controls panel refuses them), so they always work there.</p>"
    )


def show_info(parent: QWidget, title: str, html: str) -> QMessageBox:
    """A non-blocking information box."""
    box = QMessageBox(QMessageBox.Icon.Information, title, html, QMessageBox.StandardButton.Ok,
                      parent)
    box.open()
    return box
