"""Named digital inputs (keys, gamepad buttons) bound to actions of one action space.

The shared core of `KeyboardMap` and `GamepadMap`: discrete maps look up the sorted tuple of
pressed bound inputs (combinations allowed, anything else is the no-op, as gymnasium's
``utils/play.py`` does); continuous maps add each pressed input's vector to the no-op vector and
clip to the action bounds. A map is validated against its action space when it is built, so an
invalid map never reaches a play loop.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast

import numpy as np
from gymnasium import spaces

ActionKind = Literal["discrete", "continuous"]
ACTION_KINDS: tuple[ActionKind, ...] = ("discrete", "continuous")
COMBO_SEPARATOR = "+"


class BindingError(ValueError):
    """A binding that does not fit its action space; `field` says where, `problem` what."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def action_kind_of(space: spaces.Space) -> ActionKind:
    """The action kind of a gymnasium action space; raises `BindingError` for other spaces."""
    if isinstance(space, spaces.Discrete):
        return "discrete"
    if isinstance(space, spaces.Box) and len(space.shape) == 1 and space.is_bounded("both"):
        return "continuous"
    raise BindingError(
        "action_space", f"{space} is not supported (Discrete, or a bounded one-dimensional Box)"
    )


def combo_name(combo: Iterable[str]) -> str:
    """The written form of a combination of inputs, e.g. ``"left+up"``."""
    return COMBO_SEPARATOR.join(combo)


@dataclass(frozen=True, kw_only=True)
class ButtonBindings:
    """Digital inputs to actions of `action_space` (a `Discrete` or a bounded 1-D `Box`).

    Discrete maps fill `combos` (a sorted tuple of input names -> action); continuous maps fill
    `vectors` (input name -> vector added to the no-op). `noop` is the action when nothing
    bound is pressed.
    """

    section: ClassVar[str] = "bindings"
    names: ClassVar[frozenset[str]] = frozenset()
    names_hint: ClassVar[str] = ""

    action_space: spaces.Space  # Discrete or a bounded 1-D Box, checked on creation
    noop: int | tuple[float, ...]
    combos: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    vectors: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        space = self.action_space
        action_kind_of(space)  # refuses other spaces
        if isinstance(space, spaces.Discrete):
            self._check_discrete(space)
        elif isinstance(space, spaces.Box):
            self._check_continuous(space)

    @property
    def action_kind(self) -> ActionKind:
        """``"discrete"`` or ``"continuous"``, from the action space."""
        return action_kind_of(self.action_space)

    @property
    def bound_names(self) -> frozenset[str]:
        """Every input name that takes part in some binding."""
        return frozenset(name for combo in self.combos for name in combo) | frozenset(self.vectors)

    def noop_action(self) -> Any:
        """The no-op as an element of the action space."""
        if isinstance(self.noop, int | np.integer):
            return int(self.noop)
        return np.asarray(self.noop, dtype=self.action_space.dtype)

    def digital_action(self, pressed: Iterable[str], analog: np.ndarray | None = None) -> Any:
        """The action for the pressed inputs (plus an `analog` vector for continuous maps)."""
        held = set(pressed)
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            combo = tuple(sorted(held & self.bound_names))
            return self.combos.get(combo, self.noop_action())
        total = np.array(self.noop, dtype=np.float64)
        for name in held & self.vectors.keys():
            total += self.vectors[name]
        if analog is not None:
            total += analog
        box = cast(spaces.Box, space)  # the only other kind __post_init__ lets through
        return np.clip(total, box.low, box.high).astype(box.dtype)

    def rebind(self, old: str, new: str) -> ButtonBindings:
        """A copy with input `old` replaced by `new` in every binding (remapping)."""
        self._check_name(new, f"{self.section}: new input")
        if old not in self.bound_names:
            raise BindingError(self.section, f"{old!r} is not bound, so it cannot be remapped")
        if new != old and new in self.bound_names:
            raise BindingError(self.section, f"{new!r} is already bound; remap or remove it first")
        swap = {old: new}
        combos = {
            tuple(sorted(swap.get(name, name) for name in combo)): action
            for combo, action in self.combos.items()
        }
        vectors = {swap.get(name, name): vector for name, vector in self.vectors.items()}
        return dataclasses.replace(self, combos=combos, vectors=vectors)

    def bindings_to_dict(self) -> dict[str, Any]:
        """The bindings in their JSON form: ``{"left+up": 2}`` or ``{"left": [-1.0]}``."""
        if self.action_kind == "discrete":
            return {combo_name(combo): action for combo, action in self.combos.items()}
        return {name: list(vector) for name, vector in self.vectors.items()}

    @classmethod
    def parse_bindings(cls, data: Any, *, action_space: spaces.Space) -> dict[str, Any]:
        """Read the JSON form of bindings into the `combos` or `vectors` keyword arguments."""
        section = cls.section
        if not isinstance(data, Mapping):
            raise BindingError(section, f"expected an object of bindings, got {_json_type(data)}")
        if action_kind_of(action_space) == "discrete":
            combos: dict[tuple[str, ...], int] = {}
            for text, action in data.items():
                where = f"{section}[{text!r}]"
                if not isinstance(action, int) or isinstance(action, bool):
                    raise BindingError(
                        where,
                        f"wrong action kind: {action_space} takes an integer action, "
                        f"got {_json_type(action)}",
                    )
                combo = tuple(sorted(str(text).split(COMBO_SEPARATOR)))
                if combo in combos:
                    raise BindingError(where, "the same combination is bound twice")
                combos[combo] = action
            return {"combos": combos}
        vectors: dict[str, tuple[float, ...]] = {}
        for name, vector in data.items():
            where = f"{section}[{name!r}]"
            if not isinstance(vector, list):
                raise BindingError(
                    where,
                    f"wrong action kind: {action_space} takes a list of numbers per input, "
                    f"got {_json_type(vector)}",
                )
            vectors[str(name)] = parse_vector(vector, where)
        return {"vectors": vectors}

    def _check_name(self, name: str, where: str) -> None:
        if name not in self.names:
            raise BindingError(where, f"unknown input name {name!r}; names are {self.names_hint}")

    def _check_discrete(self, space: spaces.Discrete) -> None:
        if self.vectors:
            raise BindingError(self.section, f"wrong action kind: {space} needs integer actions")
        valid = range(int(space.start), int(space.start + space.n))
        if not _is_int(self.noop) or self.noop not in valid:
            raise BindingError("noop", f"{self.noop!r} is outside the action space {space}")
        for combo, action in self.combos.items():
            where = f"{self.section}[{combo_name(combo)!r}]"
            if not combo:
                raise BindingError(where, "a binding needs at least one input")
            if tuple(sorted(set(combo))) != combo:
                raise BindingError(where, "combination must be sorted and without repeats")
            for name in combo:
                self._check_name(name, where)
            if not _is_int(action) or action not in valid:
                raise BindingError(where, f"action {action!r} is outside the action space {space}")

    def _check_continuous(self, space: spaces.Box) -> None:
        if self.combos:
            raise BindingError(self.section, f"wrong action kind: {space} needs vector actions")
        if _is_int(self.noop):
            raise BindingError("noop", f"wrong action kind: {space} needs a vector: {self.noop!r}")
        noop = _check_vector(self.noop, "noop", space)
        if not space.contains(noop.astype(space.dtype)):
            raise BindingError("noop", f"{self.noop!r} is outside the action space {space}")
        for name, vector in self.vectors.items():
            where = f"{self.section}[{name!r}]"
            self._check_name(name, where)
            pressed = noop + _check_vector(vector, where, space)
            if np.any(pressed < space.low) or np.any(pressed > space.high):
                raise BindingError(
                    where,
                    f"noop + {list(vector)} = {pressed.tolist()} is outside the action space "
                    f"{space}",
                )


def parse_vector(value: Any, where: str) -> tuple[float, ...]:
    """A JSON list of finite numbers as a tuple of floats."""
    if not isinstance(value, list) or not all(_is_number(v) for v in value):
        raise BindingError(where, f"expected a list of numbers, got {value!r}")
    return tuple(float(v) for v in value)


def _check_vector(value: Any, where: str, space: spaces.Box) -> np.ndarray:
    vector = np.asarray(value, dtype=np.float64)
    if vector.shape != space.shape:
        raise BindingError(where, f"expected {space.shape[0]} numbers for {space}, got {value!r}")
    if not np.all(np.isfinite(vector)):
        raise BindingError(where, f"numbers must be finite, got {value!r}")
    return vector


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), f"{value!r}")

