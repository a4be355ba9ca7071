"""Reading job configs as data: their fields, help texts, choices, and values as text.

A job's config is a frozen keyword-only dataclass with a docstring under each field. The CLI
(`app.cli.config_args`) turns its fields into flags and the GUI (`app.widgets.config_form`)
into editors; both go through this module, so a field's help, its choices and the meaning of
its text are defined once. No Qt and no torch here.

- Help: `metadata["help"]`, else the string literal under the field (`field_docs`).
- Choices: a `Literal[...]` type hint, else `metadata["choices"]` (`FieldSpec.choices`).
- Text: `parse_value(hint, text)` / `format_value(value)`; layer sizes list the layers
  ("64" is one layer of 64, "256,256" two: `parse_layer_sizes`).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "TORCH_DEVICES",
    "ConfigValueError",
    "FieldSpec",
    "check_counts",
    "config_fields",
    "field_docs",
    "format_layer_sizes",
    "format_value",
    "parse_layer_sizes",
    "parse_whole_numbers",
    "parse_value",
]

TORCH_DEVICES = ("auto", "cpu", "cuda", "mps")
"""Torch device names a config may ask for: "auto" is CUDA, then MPS, else the CPU (not to be
confused with `recorder.schema.DEVICE_NAMES`, the input devices a step was acted through)."""

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class ConfigValueError(ValueError):
    """A field's text is not a valid value for its type."""


def field_docs(cls: type) -> dict[str, str]:
    """Field name -> help text: `metadata["help"]`, else the docstring literal under the field."""
    docs: dict[str, str] = {}
    try:
        tree: ast.Module | None = ast.parse(textwrap.dedent(inspect.getsource(cls)))
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


def parse_layer_sizes(text: str) -> tuple[int, ...]:
    """Hidden layer sizes from text that lists the layers: "64" -> (64,), "256,256" -> (256, 256).

    Commas and spaces both separate. Raises `ConfigValueError` for anything else.
    """
    parts = text.replace(",", " ").split()
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        message = f"expected layer sizes such as 64 or 256,256, got {text!r}"
        raise ConfigValueError(message) from None
    if not sizes or min(sizes) <= 0:
        raise ConfigValueError(f"layer sizes must be positive whole numbers, got {text!r}")
    return sizes


def parse_whole_numbers(text: str, count: int) -> tuple[int, ...]:
    """Exactly `count` whole numbers >= 0 from text ("84, 84" -> (84, 84)), for fixed-length
    tuple fields such as a frame size or a crop. Raises `ConfigValueError` for anything else."""
    parts = text.replace(",", " ").split()
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != count or min(values) < 0:
        raise ConfigValueError(f"expected {count} whole numbers >= 0 separated by commas, "
                               f"got {text!r}")
    return values


def format_layer_sizes(sizes: Sequence[int]) -> str:
    """The text `parse_layer_sizes` reads back: (256, 256) -> "256, 256"."""
    return ", ".join(str(size) for size in sizes)


def unwrap_optional(hint: Any) -> tuple[Any, bool]:
    """(inner type, allows None) for `X | None`; (hint, False) otherwise."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def parse_value(hint: Any, text: str) -> Any:
    """The value of `text` for a field typed `hint` ("" or "none" is None for an optional one).

    Handles int, float, bool, str, Path, `X | None`, `Literal[...]`, `tuple[int, ...]` (layer
    sizes) and fixed `tuple[int, int]` (whole numbers >= 0). Raises `ConfigValueError` with
    what was expected.
    """
    inner, optional = unwrap_optional(hint)
    text = text.strip()
    if optional and text.lower() in ("", "none"):
        return None
    try:
        if typing.get_origin(inner) is typing.Literal:
            choices = typing.get_args(inner)
            for choice in choices:
                if str(choice) == text:
                    return choice
            raise ConfigValueError(f"choose one of {', '.join(map(str, choices))}, got {text!r}")
        if inner is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ConfigValueError(f"expected true or false, got {text!r}")
        if typing.get_origin(inner) is tuple:
            if Ellipsis in typing.get_args(inner):
                return parse_layer_sizes(text)
            return parse_whole_numbers(text, len(typing.get_args(inner)))
        if inner is int:
            return int(text)
        if inner is float:
            return float(text)
        if inner is Path:
            return Path(text)
        if inner is str:
            return text
    except ValueError as error:
        if isinstance(error, ConfigValueError):
            raise
        kind = getattr(inner, "__name__", str(inner))
        raise ConfigValueError(f"expected {'a whole number' if inner is int else 'a ' + kind}, "
                               f"got {text!r}") from None
    raise ConfigValueError(f"no text form for fields of type {hint!r}")


def format_value(value: Any) -> str:
    """The text `parse_value` reads back ("" for None; layer sizes as "256, 256")."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return format_layer_sizes(value)
    return str(value)


@dataclass(frozen=True, kw_only=True)
class FieldSpec:
    """One editable field of a config class, as the CLI and the form see it."""

    name: str
    hint: Any
    """The type hint, `X | None` included."""
    inner: Any
    """The type hint without `| None`."""
    optional: bool
    """Whether None is allowed."""
    choices: tuple[Any, ...] | None
    """The allowed values, from a `Literal` hint or `metadata["choices"]`."""
    help: str
    """The field's docstring or `metadata["help"]`."""
    default: Any
    """The default value (dataclasses.MISSING when the field is required)."""

    @property
    def required(self) -> bool:
        """Whether the config has no default for it."""
        return self.default is dataclasses.MISSING

    def parse(self, text: str) -> Any:
        """The value of `text` for this field (`ConfigValueError` when invalid)."""
        if self.choices is not None and typing.get_origin(self.inner) is not typing.Literal:
            if text not in map(str, self.choices):
                raise ConfigValueError(f"choose one of {', '.join(map(str, self.choices))}, "
                                       f"got {text!r}")
        return parse_value(self.hint, text)


def config_fields(cls: type, *, skip: Sequence[str] = ()) -> list[FieldSpec]:
    """The init fields of dataclass `cls` (less `skip`) in order, with their help and choices."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"expected a config dataclass, got {cls!r}")
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    specs = []
    for field in dataclasses.fields(cls):
        if not field.init or field.name in skip:
            continue
        hint = hints[field.name]
        inner, optional = unwrap_optional(hint)
        if typing.get_origin(inner) is typing.Literal:
            choices: tuple[Any, ...] | None = typing.get_args(inner)
        elif "choices" in field.metadata:
            choices = tuple(field.metadata["choices"])
        else:
            choices = None
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        specs.append(FieldSpec(name=field.name, hint=hint, inner=inner, optional=optional,
                               choices=choices, help=docs.get(field.name, ""), default=default))
    return specs


def check_counts(config: Any, *names: str, optional: Sequence[str] = ()) -> None:
    """Refuse a field of `config` that is not a positive whole number.

    Fields named in `optional` may also be None (which stands for a default there). The
    ValueError names the config class and the field, for a config's `__post_init__`.
    """
    for name in (*names, *optional):
        value = getattr(config, name)
        if value is None and name in optional:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            either = " or None" if name in optional else ""
            raise ValueError(f"{type(config).__name__}: {name} must be a positive whole "
                             f"number{either}, got {value!r}")
