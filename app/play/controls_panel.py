"""Shows the current key and gamepad maps and lets the player remap them."""

from __future__ import annotations

import dataclasses
from typing import Literal

import gymnasium
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import ResolvedEntry
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.catalog import EnvEntry
from clonelab.recorder.controls import (
    BindingError,
    GamepadMap,
    GamepadState,
    KeyboardMap,
    active_controls,
    control_map_to_dict,
)
from clonelab.recorder.gamepad import MAX_AXES

_AXIS_DETECT_THRESHOLD = 0.6


class ControlsPanel(QWidget):
    """The env's controls as tables, with remapping.

    Rebind a key: select its row, press "Rebind key", press the new key (the play view passes
    it to `capture_key`). Rebind a pad control the same way with the pad (`feed_gamepad`).
    Analog axes: pick the axis number, invert it, or "Detect" by moving the stick; the dead
    zone applies to sticks and triggers. Each change is saved in the settings (per env, as
    JSON) and emits `entry_changed(EnvEntry)`; "Restore defaults" goes back to the default
    entry given to `show_env`.
    """

    entry_changed = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._default: EnvEntry | None = None
        self._entry: EnvEntry | None = None
        self._names = EnvNames()
        self._capturing_key: str | None = None
        self._capturing_pad: str | None = None
        self._capturing_axis: int | None = None
        self._pad_held: frozenset[str] = frozenset()

        self._keys = _bindings_table("Key")
        rebind_key = QPushButton("Rebind key…")
        rebind_key.setToolTip("Select a key above, click, then press the new key")
        rebind_key.clicked.connect(self._on_rebind_key_clicked)

        self._pad = _bindings_table("Control")
        rebind_pad = QPushButton("Rebind control…")
        rebind_pad.setToolTip("Select a control above, click, then press the new pad button")
        rebind_pad.clicked.connect(self._on_rebind_pad_clicked)
        self._axes = QTableWidget(0, 4)
        self._axes.setHorizontalHeaderLabels(["Axis", "Drives", "Invert", ""])
        self._axes.verticalHeader().hide()
        header = self._axes.horizontalHeader()
        for column in range(4):  # "brake × 0.8" whole: the spin box and buttons take no more
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._axes.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self._axes.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._dead_zone = QDoubleSpinBox()
        self._dead_zone.setRange(0.0, 0.95)
        self._dead_zone.setSingleStep(0.05)
        self._dead_zone.setToolTip("Stick and trigger travel ignored around rest")
        self._dead_zone.valueChanged.connect(self._on_dead_zone)
        self._pad_box = QGroupBox("Gamepad")
        pad_layout = QVBoxLayout(self._pad_box)
        pad_layout.addWidget(self._pad)
        pad_layout.addWidget(rebind_pad)
        pad_layout.addWidget(self._axes)
        dead_zone_row = QFormLayout()
        dead_zone_row.addRow("Dead zone", self._dead_zone)
        pad_layout.addLayout(dead_zone_row)
        self._no_pad = QLabel("No gamepad map for this environment.")

        key_box = QGroupBox("Keyboard")
        key_layout = QVBoxLayout(key_box)
        key_layout.addWidget(self._keys)
        key_layout.addWidget(rebind_key)

        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setObjectName("controlsMessage")
        defaults = QPushButton("Restore defaults")
        defaults.setToolTip("Forget the remapping for this environment")
        defaults.clicked.connect(self.restore_defaults)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(defaults)

        layout = QVBoxLayout(self)
        layout.addWidget(key_box)
        layout.addWidget(self._pad_box)
        layout.addWidget(self._no_pad)
        layout.addWidget(self._message)
        layout.addStretch()
        layout.addLayout(buttons)
        for button in (rebind_key, rebind_pad, defaults):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    @property
    def entry(self) -> EnvEntry | None:
        """The entry whose controls are shown."""
        return self._entry

    @property
    def capturing_key(self) -> bool:
        """Whether the next key press rebinds a key instead of playing."""
        return self._capturing_key is not None

    def message(self) -> str:
        """The panel's last instruction or error."""
        return self._message.text()

    def shown_rows(self, table: Literal["keys", "pad", "axes"]) -> list[str]:
        """What a table shows, a row a line: "left -> fire left engine", "axis 0 -> steer × 1"."""
        if table == "axes":
            return [f"axis {self._axes.cellWidget(row, 0).value()} -> "  # type: ignore[attr-defined]
                    f"{self._axes.item(row, 1).text()}" for row in range(self._axes.rowCount())]
        widget = self._keys if table == "keys" else self._pad
        return [f"{widget.item(row, 0).text()} -> {widget.item(row, 1).text()}"
                for row in range(widget.rowCount())]

    def show_env(self, resolved: ResolvedEntry, env: gymnasium.Env) -> EnvEntry:
        """Show an env's controls in effect (the workspace resolved the player's saved
        remapping); returns that entry. Actions are shown by name (recorder.action_names)."""
        self._default, self._entry = resolved.default, resolved.in_effect
        self._names = env_names(resolved.default.env_id, entry=resolved.default, env=env)
        self._message.setText(resolved.note)
        self._cancel_captures()
        self._refresh()
        return resolved.in_effect

    def restore_defaults(self) -> None:
        """Forget the remapping of this env."""
        if self._default is None:
            return
        self._settings.set_control_map(self._default.env_id, None)
        self._entry = self._default
        self._refresh()
        self._message.setText("Default controls restored.")
        self.entry_changed.emit(self._default)

    def select_key(self, key: str) -> None:
        """Select a key's row (as a click would)."""
        _select(self._keys, key)

    def select_control(self, control: str) -> None:
        """Select a pad control's row."""
        _select(self._pad, control)

    def capture_key(self, key: str) -> None:
        """Finish a key rebind with the key just pressed."""
        old, self._capturing_key = self._capturing_key, None
        if old is None or self._entry is None:
            return
        try:
            keyboard = self._entry.keyboard.rebind(old, key)
        except BindingError as exc:
            self._message.setText(f"Cannot rebind {old!r}: {exc.problem}")
            return
        self._apply(dataclasses.replace(self._entry, keyboard=keyboard),
                    f"{old!r} is now {key!r}.")

    def feed_gamepad(self, state: GamepadState | None) -> None:
        """A pad reading; finishes a pad rebind or an axis detection in progress."""
        if state is None or self._entry is None or self._entry.gamepad is None:
            return
        pad = self._entry.gamepad
        if self._capturing_pad is not None:
            pressed = active_controls(state, pad.dead_zone)
            new = sorted(pressed - self._pad_held)
            self._pad_held = pressed
            if new:
                old, self._capturing_pad = self._capturing_pad, None
                try:
                    gamepad = pad.rebind(old, new[0])
                except BindingError as exc:
                    self._message.setText(f"Cannot rebind {old!r}: {exc.problem}")
                    return
                self._apply(dataclasses.replace(self._entry, gamepad=gamepad),
                            f"{old!r} is now {new[0]!r}.")
        elif self._capturing_axis is not None and state.axes:
            moved = max(range(len(state.axes)), key=lambda i: abs(state.axes[i]))
            if abs(state.axes[moved]) >= _AXIS_DETECT_THRESHOLD:
                index, self._capturing_axis = self._capturing_axis, None
                self.set_axis(index, moved)

    def set_inverted(self, index: int, inverted: bool) -> None:
        """Invert (or not) analog binding `index`."""
        if self._entry is None or self._entry.gamepad is None:
            return
        pad = self._entry.gamepad
        binding = pad.axes[index]
        if (binding.scale < 0) == inverted:
            return
        axes = list(pad.axes)
        axes[index] = dataclasses.replace(binding, scale=-binding.scale)
        gamepad = dataclasses.replace(pad, axes=tuple(axes))
        self._apply(dataclasses.replace(self._entry, gamepad=gamepad),
                    f"Axis {binding.axis} {'inverted' if inverted else 'not inverted'}.")

    def set_dead_zone(self, value: float) -> None:
        """Set the pad's dead zone (0 to 0.95)."""
        self._dead_zone.setValue(value)

    def _on_rebind_key_clicked(self) -> None:
        key = _selected(self._keys)
        if key is None:
            self._message.setText("Select a key to rebind first.")
            return
        self._cancel_captures()
        self._capturing_key = key
        self._message.setText(f"Press the new key for {key!r}…")

    def _on_rebind_pad_clicked(self) -> None:
        control = _selected(self._pad)
        if control is None:
            self._message.setText("Select a pad control to rebind first.")
            return
        self._cancel_captures()
        self._capturing_pad = control
        self._message.setText(f"Press the new pad control for {control!r}…")

    def _start_axis_detect(self, index: int) -> None:
        self._cancel_captures()
        self._capturing_axis = index
        self._message.setText("Push the stick or trigger all the way…")

    def _cancel_captures(self) -> None:
        self._capturing_key = self._capturing_pad = self._capturing_axis = None
        self._pad_held = frozenset()

    def set_axis(self, index: int, axis: int) -> None:
        """Make analog binding `index` read pad axis `axis`."""
        if self._entry is None or self._entry.gamepad is None:
            return
        pad = self._entry.gamepad
        if pad.axes[index].axis == axis:
            return
        try:
            gamepad = pad.rebind_axis(index, axis)
        except BindingError as exc:
            self._message.setText(f"Cannot use axis {axis}: {exc.problem}")
            return
        self._apply(dataclasses.replace(self._entry, gamepad=gamepad),
                    f"{self._dimension(pad.axes[index].dim).capitalize()} now reads axis "
                    f"{axis}.")

    def _on_dead_zone(self, value: float) -> None:
        if self._entry is None or self._entry.gamepad is None:
            return
        if abs(self._entry.gamepad.dead_zone - value) < 1e-9:
            return
        gamepad = dataclasses.replace(self._entry.gamepad, dead_zone=round(value, 3))
        self._apply(dataclasses.replace(self._entry, gamepad=gamepad),
                    f"Dead zone {value:.2f}.")

    def _apply(self, entry: EnvEntry, message: str) -> None:
        self._entry = entry
        self._settings.set_control_map(entry.env_id, control_map_to_dict(entry))
        self._refresh()
        self._message.setText(message)
        self.entry_changed.emit(entry)

    def _refresh(self) -> None:
        entry = self._entry
        if entry is None:
            return
        _fill(self._keys, _rows(entry.keyboard, self._names))
        pad = entry.gamepad
        self._pad_box.setVisible(pad is not None)
        self._no_pad.setVisible(pad is None)
        if pad is None:
            return
        _fill(self._pad, _rows(pad, self._names))
        self._dead_zone.blockSignals(True)
        self._dead_zone.setValue(pad.dead_zone)
        self._dead_zone.blockSignals(False)
        self._axes.setRowCount(len(pad.axes))
        for row, binding in enumerate(pad.axes):
            axis = QSpinBox()
            axis.setRange(0, MAX_AXES - 1)
            axis.setValue(binding.axis)
            axis.setToolTip("The pad axis number (SDL's numbering)")
            axis.valueChanged.connect(lambda value, i=row: self.set_axis(i, value))
            invert = QCheckBox()
            invert.setChecked(binding.scale < 0)
            invert.setToolTip("Flip the axis direction")
            invert.toggled.connect(lambda checked, i=row: self.set_inverted(i, checked))
            detect = QPushButton("Detect")
            detect.setToolTip("Click, then move the stick or trigger to use")
            detect.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            detect.clicked.connect(lambda _=False, i=row: self._start_axis_detect(i))
            self._axes.setCellWidget(row, 0, axis)
            drives = (f"{self._dimension(binding.dim)} × {abs(binding.scale):g}"
                      + (" (trigger)" if binding.trigger else ""))
            self._axes.setItem(row, 1, _item(drives, f"{drives}: action dimension {binding.dim}"))
            self._axes.setCellWidget(row, 2, invert)
            self._axes.setCellWidget(row, 3, detect)
        self._axes.setVisible(bool(pad.axes))

    def _dimension(self, dim: int) -> str:
        # Analog axes drive a dimension of a one-dimensional Box action.
        assert self._entry is not None
        size = self._entry.keyboard.action_space.shape[0]
        return self._names.action_dimensions(size)[dim]


def _bindings_table(first_column: str) -> QTableWidget:
    table = QTableWidget(0, 2)
    table.setHorizontalHeaderLabels([first_column, "Action"])
    table.verticalHeader().hide()
    # The input column as wide as its names; the action column takes the rest, and a name too
    # long for it shows whole in its tooltip.
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    # As tall as its rows, so the panel stays compact.
    table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
    return table


def _rows(bindings: KeyboardMap | GamepadMap, names: EnvNames) -> list[tuple[str, str]]:
    """One row per bound input: the input and what it does (alone or in combinations), by name:
    "fire main engine", "space+up: up + fire", "gas +1"."""
    label = names.action
    rows = []
    for name in sorted(bindings.bound_names):
        if bindings.action_kind == "discrete":
            parts = [
                label(action) if combo == (name,) else f"{'+'.join(combo)}: {label(action)}"
                for combo, action in sorted(bindings.combos.items(), key=lambda item: item[1])
                if name in combo
            ]
        else:
            parts = [names.vector_change(bindings.vectors[name])]
        rows.append((name, ", ".join(parts)))
    return rows


def _fill(table: QTableWidget, rows: list[tuple[str, str]]) -> None:
    table.setRowCount(len(rows))
    for row, (name, action) in enumerate(rows):
        table.setItem(row, 0, _item(name, name))
        table.setItem(row, 1, _item(action, action))


def _item(text: str, tooltip: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tooltip)
    return item


def _selected(table: QTableWidget) -> str | None:
    rows = table.selectionModel().selectedRows()
    return table.item(rows[0].row(), 0).text() if rows else None


def _select(table: QTableWidget, name: str) -> None:
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == name:
            table.selectRow(row)
            return
    raise KeyError(f"{name!r} is not bound")
