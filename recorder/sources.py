"""The action-source protocol, and the human sources: keyboard and gamepad.

Keyboard, gamepad, scripted experts and policies all meet `ActionSource`, so human play, agent
play, expert play and takeover share one loop.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from clonelab.recorder.gamepad import GamepadMap, GamepadReader
from clonelab.recorder.keyboard import KeyboardMap


@runtime_checkable
class ActionSource(Protocol):
    """Anything that picks actions: `reset` at each episode start, `act` once per step."""

    def reset(self, seed: int | None = None) -> None:
        """Start an episode (re-seed any randomness when `seed` is given)."""
        ...

    def act(self, observation: Any) -> Any:
        """An element of the env's action space for `observation`."""
        ...


class KeyboardSource:
    """Human play from the keyboard: the window reports key presses, `act` reads held keys."""

    def __init__(self, keymap: KeyboardMap) -> None:
        self.keymap = keymap
        self._held: set[str] = set()

    @property
    def held(self) -> frozenset[str]:
        """The key names held down now."""
        return frozenset(self._held)

    def press(self, key: str) -> None:
        """A key went down (a name from recorder.keyboard.KEY_NAMES; others are ignored)."""
        self._held.add(key)

    def release(self, key: str) -> None:
        """A key came up."""
        self._held.discard(key)

    def release_all(self) -> None:
        """Forget every held key, e.g. when the window loses focus and key-ups go elsewhere."""
        self._held.clear()

    def reset(self, seed: int | None = None) -> None:
        """Nothing to do: keys held across an episode boundary stay held."""

    def act(self, observation: Any) -> Any:
        """The action for the keys held now."""
        return self.keymap.action(self._held)


class GamepadSource:
    """Human play from a gamepad; gives the no-op while no pad is connected."""

    def __init__(self, reader: GamepadReader, gamepad_map: GamepadMap) -> None:
        self.reader = reader
        self.gamepad_map = gamepad_map

    def reset(self, seed: int | None = None) -> None:
        """Nothing to do: the pad is read fresh at every step."""

    def act(self, observation: Any) -> Any:
        """The action for the pad's state now (polls the reader)."""
        state = self.reader.poll()
        if state is None:
            return self.gamepad_map.noop_action()
        return self.gamepad_map.action(state)
