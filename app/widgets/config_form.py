"""A form generated from a job's frozen config dataclass (TrainConfig, DaggerConfig, ...).

Each field gets an editor chosen by its type hint, a tooltip from the field's docstring (the
string literal under it, as TrainConfig writes them) or its `metadata["help"]`, and the form
builds the dataclass back. Fields, help, choices and the text of values come from
`recorder.configs`, which the CLI's flags use too: one definition, one validation.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from clonelab.recorder.configs import ConfigValueError, FieldSpec, config_fields, format_value

log = logging.getLogger(__name__)

_INT_MAX = 2**31 - 1
_NONE_TEXT = "default"


class ConfigFormError(ValueError):
    """A field's text is not a valid value; the message names the field."""


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class _Editor:
    """One field's widget and how to read and write its value."""

    def __init__(self, spec: FieldSpec, choices: Sequence[Any] | None, label: str) -> None:
        self.spec = spec
        self.label = label
        self.choices = tuple(choices) if choices else spec.choices
        self.widget = self._make_widget()

    def _make_widget(self) -> QWidget:
        spec = self.spec
        if self.choices is not None:
            combo = QComboBox()
            combo.addItems([str(choice) for choice in self.choices])
            return combo
        if spec.inner is bool:
            return QCheckBox()
        if spec.inner is int:
            spin = QSpinBox()
            # An optional count shows "default" at 0 (the fields it serves are positive).
            spin.setRange(0 if spec.optional else -_INT_MAX, _INT_MAX)
            if spec.optional:
                spin.setSpecialValueText(_NONE_TEXT)
            return spin
        edit = QLineEdit()
        if spec.optional:
            edit.setPlaceholderText(_NONE_TEXT)
        return edit

    def set_value(self, value: Any) -> None:
        widget = self.widget
        if isinstance(widget, QComboBox):
            widget.setCurrentText(str(value))
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QSpinBox):
            widget.setValue(widget.minimum() if value is None else int(value))
        else:
            widget.setText(format_value(value))

    def value(self) -> Any:
        widget = self.widget
        if isinstance(widget, QComboBox):
            text = widget.currentText()
            return next((choice for choice in self.choices or () if str(choice) == text), text)
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox):
            if self.spec.optional and widget.value() == widget.minimum():
                return None
            return widget.value()
        text = widget.text()
        try:
            return self.spec.parse(text)
        except ConfigValueError as exc:
            raise ConfigFormError(f"{self.label}: {exc}") from exc

    def connect_changed(self, callback: Any) -> None:
        widget = self.widget
        if isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(callback)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(callback)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(callback)
        else:
            widget.textChanged.connect(callback)


class ConfigForm(QWidget):
    """Editors for every field of dataclass `cls`; `config()` builds and validates an instance.

    Fields come from `recorder.configs.config_fields`: a field with choices (a `Literal` hint or
    `metadata["choices"]`) gets a combo box; `choices` adds or overrides them. `skip` leaves
    fields out: `config()` keeps their values from `initial` or the last `set_config` (which
    is how a form without the required fields, a DaggerConfig's env id say, is built). Invalid
    input (unparsable text, or a value the dataclass's `__post_init__` refuses) is shown in the
    form's error line and raised as `ConfigFormError` by `config()`. `labels` overrides the
    labels made from field names. `changed` fires on every edit. `set_applies` greys out a
    field that does nothing for the data at hand.
    """

    changed = Signal()

    def __init__(
        self,
        cls: type,
        *,
        initial: Any | None = None,
        choices: dict[str, Sequence[str]] | None = None,
        labels: dict[str, str] | None = None,
        skip: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"ConfigForm needs a dataclass, got {cls!r}")
        self._cls = cls
        choices = choices or {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._editors: dict[str, _Editor] = {}
        self._labels: dict[str, QLabel] = {}
        self._set_aside: dict[str, Any] = {}  # the person's values of fields greyed out
        for spec in config_fields(cls, skip=skip):
            text = (labels or {}).get(spec.name, _label(spec.name))
            editor = _Editor(spec, choices.get(spec.name), text)
            editor.widget.setToolTip(spec.help)
            editor.widget.setObjectName(f"field_{spec.name}")
            label = QLabel(text)
            label.setToolTip(spec.help)
            layout.addRow(label, editor.widget)
            self._editors[spec.name] = editor
            self._labels[spec.name] = label
        self._error = QLabel()
        self._error.setObjectName("configError")
        self._error.setStyleSheet("color: #c0392b;")
        self._error.setWordWrap(True)
        self._error.hide()
        layout.addRow(self._error)
        self._base = initial if initial is not None else cls()
        self.set_config(self._base)
        for editor in self._editors.values():
            editor.connect_changed(self._on_changed)

    def editor(self, name: str) -> QWidget:
        """The widget that edits field `name`."""
        return self._editors[name].widget

    def set_applies(self, name: str, why_not: str | None) -> None:
        """Field `name` applies (`why_not` None), or is greyed out at its base value with
        `why_not` in its tooltip, so that `config()` does not carry a value that does nothing
        here; the person's value comes back when the field applies again."""
        editor, label = self._editors[name], self._labels[name]
        applies = why_not is None
        tip = editor.spec.help if applies else f"Not used here: {why_not}.\n\n{editor.spec.help}"
        for widget in (editor.widget, label):
            widget.setToolTip(tip)
        if applies == editor.widget.isEnabled():
            return
        if not applies:
            try:
                self._set_aside[name] = editor.value()
            except ConfigFormError:
                pass  # unparsable text: nothing worth bringing back
        # Enabled state first: the value's change signal may bring the caller back here.
        editor.widget.setEnabled(applies)
        label.setEnabled(applies)
        if applies:
            if name in self._set_aside:
                editor.set_value(self._set_aside.pop(name))
        else:
            editor.set_value(getattr(self._base, name))

    def set_config(self, config: Any) -> None:
        """Show the values of `config` in the editors (its skipped fields are kept)."""
        self._base = config
        for name, editor in self._editors.items():
            editor.set_value(getattr(config, name))
        self._error.hide()

    def config(self) -> Any:
        """The dataclass built from the editors; raises `ConfigFormError` when invalid."""
        try:
            values = {name: editor.value() for name, editor in self._editors.items()}
            config = dataclasses.replace(self._base, **values)
        except ConfigFormError as exc:
            self._show_error(str(exc))
            raise
        except (TypeError, ValueError) as exc:
            self._show_error(str(exc))
            raise ConfigFormError(str(exc)) from exc
        self._error.hide()
        return config

    def error_text(self) -> str:
        """The error line's text ("" while the input is valid)."""
        return self._error.text() if not self._error.isHidden() else ""

    def _show_error(self, message: str) -> None:
        self._error.setText(message)
        self._error.show()

    def _on_changed(self, *_: Any) -> None:
        try:
            self.config()
        except ConfigFormError:
            pass  # shown in the error line; the panel refuses to train until it is fixed
        self.changed.emit()
