"""A form generated from a frozen dataclass's fields (the Train panel's TrainConfig form).

Each field gets an editor chosen by its type hint, a tooltip from the field's docstring (the
string literal under it, as TrainConfig writes them) or its `metadata["help"]`, and the form
builds the dataclass back, so the CLI and the GUI share one definition and one validation.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import logging
import textwrap
import types
import typing
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

log = logging.getLogger(__name__)

_INT_MAX = 2**31 - 1
_NONE_TEXT = "default"


class ConfigFormError(ValueError):
    """A field's text is not a valid value; the message names the field."""


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> help text: `metadata["help"]`, else the docstring literal under the field."""
    docs: dict[str, str] = {}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        tree = None  # no source (frozen app, interactive class): metadata only
    if tree is not None and tree.body and isinstance(tree.body[0], ast.ClassDef):
        body = tree.body[0].body
        for node, following in zip(body, body[1:], strict=False):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[node.target.id] = inspect.cleandoc(following.value.value)
    for field in dataclasses.fields(cls):
        if "help" in field.metadata:
            docs[field.name] = str(field.metadata["help"])
    return docs


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """(inner type, allows None) for `X | None`; (hint, False) otherwise."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class _Editor:
    """One field's widget and how to read and write its value."""

    def __init__(self, name: str, hint: Any, choices: Sequence[str] | None) -> None:
        self.name = name
        self.hint, self.optional = _unwrap_optional(hint)
        self.choices = tuple(choices) if choices else None
        self.widget = self._make_widget()

    def _make_widget(self) -> QWidget:
        if self.choices is not None:
            combo = QComboBox()
            combo.addItems(list(self.choices))
            return combo
        if self.hint is bool:
            return QCheckBox()
        if self.hint is int:
            spin = QSpinBox()
            # An optional count shows "default" at 0 (the fields it serves are positive).
            spin.setRange(0 if self.optional else -_INT_MAX, _INT_MAX)
            if self.optional:
                spin.setSpecialValueText(_NONE_TEXT)
            return spin
        edit = QLineEdit()
        if self.optional:
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
        elif value is None:
            widget.setText("")
        elif isinstance(value, tuple):
            widget.setText(", ".join(str(item) for item in value))
        else:
            widget.setText(str(value))

    def value(self) -> Any:
        widget = self.widget
        if isinstance(widget, QComboBox):
            return widget.currentText()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QSpinBox):
            if self.optional and widget.value() == widget.minimum():
                return None
            return widget.value()
        return self._parse(widget.text().strip())

    def _parse(self, text: str) -> Any:
        if not text and self.optional:
            return None
        try:
            if self.hint is float:
                return float(text)
            if typing.get_origin(self.hint) is tuple:
                item = typing.get_args(self.hint)[0]
                parts = [part for part in text.replace(",", " ").split() if part]
                return tuple(item(part) for part in parts)
            if self.hint is str:
                return text
            return self.hint(text)
        except (TypeError, ValueError) as exc:
            raise ConfigFormError(f"{_label(self.name)}: {text!r} is not valid ({exc})") from exc

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

    `choices` turns string fields into combo boxes. Invalid input (unparsable text, or a value
    the dataclass's `__post_init__` refuses) is shown in the form's error line and raised as
    `ConfigFormError` by `config()`. `labels` overrides the labels made from field names.
    `changed` fires on every edit.
    """

    changed = Signal()

    def __init__(
        self,
        cls: type,
        *,
        initial: Any | None = None,
        choices: dict[str, Sequence[str]] | None = None,
        labels: dict[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"ConfigForm needs a dataclass, got {cls!r}")
        self._cls = cls
        hints = typing.get_type_hints(cls)
        docs = field_docs(cls)
        choices = choices or {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._editors: dict[str, _Editor] = {}
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            editor = _Editor(field.name, hints[field.name], choices.get(field.name))
            help_text = docs.get(field.name, "")
            editor.widget.setToolTip(help_text)
            editor.widget.setObjectName(f"field_{field.name}")
            label = QLabel((labels or {}).get(field.name, _label(field.name)))
            label.setToolTip(help_text)
            layout.addRow(label, editor.widget)
            self._editors[field.name] = editor
        self._error = QLabel()
        self._error.setObjectName("configError")
        self._error.setStyleSheet("color: #c0392b;")
        self._error.setWordWrap(True)
        self._error.hide()
        layout.addRow(self._error)
        self.set_config(initial if initial is not None else cls())
        for editor in self._editors.values():
            editor.connect_changed(self._on_changed)

    def editor(self, name: str) -> QWidget:
        """The widget that edits field `name`."""
        return self._editors[name].widget

    def set_config(self, config: Any) -> None:
        """Show the values of `config` in the editors."""
        for name, editor in self._editors.items():
            editor.set_value(getattr(config, name))
        self._error.hide()

    def config(self) -> Any:
        """The dataclass built from the editors; raises `ConfigFormError` when invalid."""
        try:
            values = {name: editor.value() for name, editor in self._editors.items()}
            config = self._cls(**values)
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
