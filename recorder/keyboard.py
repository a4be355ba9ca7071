"""Keyboard maps: held key names to an action (the app turns Qt key codes into these names)."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from gymnasium import spaces

from clonelab.recorder.bindings import ButtonBindings

KEY_NAMES: frozenset[str] = frozenset(
    ["left", "right", "up", "down", "space", "enter", "shift", "ctrl"]
    + list(string.ascii_lowercase)
    + list(string.digits)
)


@dataclass(frozen=True, kw_only=True)
class KeyboardMap(ButtonBindings):
    """Key names to actions: a combination table (discrete) or per-key vectors (continuous)."""

    section: ClassVar[str] = "keyboard"
    names: ClassVar[frozenset[str]] = KEY_NAMES
    names_hint: ClassVar[str] = "left, right, up, down, space, enter, shift, ctrl, a-z and 0-9"

    def action(self, pressed: Iterable[str]) -> Any:
        """The action for the held keys; unbound keys are ignored, unknown combinations give
        the no-op."""
        return self.digital_action(pressed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in control maps (the no-op is stored beside it)."""
        return self.bindings_to_dict()

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, action_space: spaces.Space, noop: Any
    ) -> KeyboardMap:
        """Build from the JSON form; raises `BindingError` naming the offending entry."""
        bindings = cls.parse_bindings(data, action_space=action_space)
        return cls(action_space=action_space, noop=noop, **bindings)
