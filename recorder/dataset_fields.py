"""Typed reads of stored fields: metadata.json values and HDF5 attributes, checked one by one.

Each reader returns the value in its Python type or raises ValueError naming the field and
what it holds, so a wrong-typed field becomes one line in a message (and an index rebuild),
never a TypeError deep inside whoever uses it later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from clonelab.recorder import schema


def integer(value: Any, name: str, *, minimum: int | None = None) -> int:
    """An int (a JSON or numpy integer, never a bool), at least ``minimum`` when given."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} is {_kind(value)}, expected an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} is {int(value)}, expected {minimum} or more")
    return int(value)


def optional_integer(value: Any, name: str) -> int | None:
    """An int or None (JSON null)."""
    return None if value is None else integer(value, name)


def number(value: Any, name: str) -> float:
    """A float from a JSON or numpy number (NaN stands for unknown and is kept)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{name} is {_kind(value)}, expected a number")
    return float(value)


def text(value: Any, name: str) -> str:
    """A str (HDF5 attributes written by other tools may hold UTF-8 bytes)."""
    if isinstance(value, bytes | np.bytes_):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{name} is bytes that are not UTF-8 text") from None
    if not isinstance(value, str):
        raise ValueError(f"{name} is {_kind(value)}, expected text")
    return str(value)


def optional_text(value: Any, name: str) -> str | None:
    """A str or None (JSON null)."""
    return None if value is None else text(value, name)


def flag(value: Any, name: str) -> bool:
    """A JSON or numpy bool."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} is {_kind(value)}, expected true or false")
    return bool(value)


def mapping(value: Any, name: str) -> Mapping[str, Any]:
    """A JSON object (or an HDF5 attribute manager)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} is {_kind(value)}, expected an object")
    return value


def items(value: Any, name: str) -> list[Any]:
    """A JSON list."""
    if not isinstance(value, list):
        raise ValueError(f"{name} is {_kind(value)}, expected a list")
    return value


def required(doc: Mapping[str, Any], key: str, where: str) -> Any:
    """``doc[key]``; ValueError naming ``where`` when the key is missing."""
    if key not in doc:
        raise ValueError(f"{where} has no {key!r}")
    return doc[key]


def text_tuple(value: Any, name: str) -> tuple[str, ...]:
    """A JSON list of strings, as a tuple."""
    return tuple(text(item, f"{name}[{position}]")
                 for position, item in enumerate(items(value, name)))


def counts(value: Any, name: str) -> dict[str, int]:
    """A JSON object of non-negative integer counts."""
    return {key: integer(count, f"{name}.{key}", minimum=0)
            for key, count in mapping(value, name).items()}


def naturals(value: Any, name: str, length: int) -> tuple[int, ...] | None:
    """None or a list of exactly ``length`` non-negative integers (byte offsets, sizes)."""
    if value is None:
        return None
    listed = items(value, name)
    if len(listed) != length:
        raise ValueError(f"{name} holds {len(listed)} numbers, expected {length}")
    return tuple(integer(item, f"{name}[{position}]", minimum=0)
                 for position, item in enumerate(listed))


def json_text(value: Any, name: str) -> Any:
    """The value encoded in a JSON text attribute."""
    try:
        return json.loads(text(value, name))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError(f"{name} is JSON nested too deep") from None


def space(value: Any, name: str) -> gym.Space:
    """A space from its Minari JSON text."""
    spelled = text(value, name)
    try:
        return schema.space_from_json(spelled)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _kind(value: Any) -> str:
    """A short description of a value's type for messages ("a string '5'", "a list")."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return f"a boolean {bool(value)}".replace("True", "true").replace("False", "false")
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:17] + "..."
        return f"a string {shown!r}"
    if isinstance(value, int | float | np.number):
        return f"the number {value}"
    if isinstance(value, list | tuple | np.ndarray):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"
