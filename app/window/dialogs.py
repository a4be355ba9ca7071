"""Small dialogs of the main window: preferences, another gymnasium id, shortcut help."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from clonelab.app.play.play_actions import PlayActions


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
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        root_row = QHBoxLayout()
        root_row.addWidget(self.root, 1)
        root_row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Operator", self.operator)
        form.addRow("Workspace folders", root_row)
        form.addRow(buttons)

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
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.map_path, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Gymnasium id", self.env_id)
        form.addRow("Control map", row)
        form.addRow(buttons)

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
