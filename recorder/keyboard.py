"""Keyboard maps: held key names to an action (the app turns Qt key codes into these names)."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from gymnasium import spaces

from clonelab.recorder.bindings import BindingError, ButtonBindings

KEY_NAMES: frozenset[str] = frozenset(
    ["left", "right", "up", "down", "space", "enter", "tab", "shift", "ctrl"]
    + list(string.ascii_lowercase)
    + list(string.digits)
)

# The app's one-key shortcuts, command -> key as Qt writes it. app/play/play_actions.py binds
# them from here, and no keyboard map may bind a key of this table, so a game key never
# shadows a shortcut and the hints on screen name keys that work.
APP_SHORTCUTS: Mapping[str, str] = {
    "pause": "P",
    "record": "R",
    "keep": "K",
    "discard": "D",
    "wait_for_input": "T",
    "step": ".",
    "slower": "-",
    "faster": "=",
    "delete_last": "Del",
    "controls": "F2",
}
APP_KEYS: Mapping[str, str] = {
    key.lower(): command for command, key in APP_SHORTCUTS.items() if key.lower() in KEY_NAMES
}
"""The key names the app's shortcuts take (e.g. "p" -> "pause"): no game may bind them."""


@dataclass(frozen=True, kw_only=True)
class KeyboardMap(ButtonBindings):
    """Key names to actions: a combination table (discrete) or per-key vectors (continuous)."""

    section: ClassVar[str] = "keyboard"
    names: ClassVar[frozenset[str]] = KEY_NAMES
    names_hint: ClassVar[str] = (
        "left, right, up, down, space, enter, tab, shift, ctrl, a-z and 0-9"
    )

    def action(self, pressed: Iterable[str]) -> Any:
        """The action for the held keys; unbound keys are ignored, unknown combinations give
        the no-op."""
        return self.digital_action(pressed)

    def _check_name(self, name: str, where: str) -> None:
        super()._check_name(name, where)
        if name in APP_KEYS:
            command = APP_KEYS[name].replace("_", " ")
            raise BindingError(where, f"{name!r} is CloneLab's {command} shortcut; bind "
                                      f"another key (taken: {', '.join(sorted(APP_KEYS))})")

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
