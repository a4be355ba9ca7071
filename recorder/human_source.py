"""The person at the controls as one ActionSource: keyboard keys and the latest gamepad reading."""

from __future__ import annotations

from typing import Any

from clonelab.recorder.controls import GamepadMap, GamepadState, KeyboardMap, active_controls
from clonelab.recorder.sources import KeyboardSource


class HumanSource:
    """Keyboard and gamepad together; whichever the person is using drives the step.

    Key presses are also latched until the next `act()`, so a tap shorter than one tick (or one
    delivered between two ticks in wait-for-input mode) still counts once. The gamepad state is
    pushed in (`set_gamepad_state`) by whoever polls the pad; the source never reads the device.
    """

    def __init__(self, keyboard: KeyboardMap, gamepad: GamepadMap | None = None) -> None:
        self._keys = KeyboardSource(keyboard)
        self._tapped: set[str] = set()
        self.gamepad_map = gamepad
        self._pad_state: GamepadState | None = None
        self._device = "keyboard"

    @property
    def keyboard_map(self) -> KeyboardMap:
        """The key bindings in use."""
        return self._keys.keymap

    @keyboard_map.setter
    def keyboard_map(self, keymap: KeyboardMap) -> None:
        self._keys.keymap = keymap

    @property
    def device(self) -> str:
        """The device behind the last action ("keyboard" or "gamepad")."""
        return self._device

    def binds(self, key: str) -> bool:
        """Whether a key name takes part in the keyboard map (its presses belong here)."""
        return key in self._keys.keymap.bound_names

    def press(self, key: str) -> None:
        """A key went down."""
        self._keys.press(key)
        self._tapped.add(key)

    def release(self, key: str) -> None:
        """A key came up (a latched tap still counts at the next act)."""
        self._keys.release(key)

    def release_all(self) -> None:
        """Forget held and latched keys (focus lost: the key-ups would go elsewhere)."""
        self._keys.release_all()
        self._tapped.clear()

    def set_gamepad_state(self, state: GamepadState | None) -> None:
        """The latest reading of the pad (None when none is connected)."""
        self._pad_state = state

    def has_input(self) -> bool:
        """Whether a bound key is held or was tapped, or the pad is pushed past its dead zone."""
        return bool(self._active_keys()) or self._pad_active()

    def reset(self, seed: int | None = None) -> None:
        """Nothing is random here; held keys stay held across episodes."""

    def act(self, observation: Any) -> Any:
        """The keyboard's action when a bound key is down, else the pad's, else the no-op."""
        keys = self._active_keys()
        self._tapped.clear()
        if keys:
            self._device = "keyboard"
            return self._keys.keymap.action(keys)
        pad, state = self.gamepad_map, self._pad_state
        if pad is not None and state is not None and self._pad_active():
            self._device = "gamepad"
            return pad.action(state)
        return self._keys.keymap.noop_action()

    def _active_keys(self) -> frozenset[str]:
        return (self._keys.held | self._tapped) & self._keys.keymap.bound_names

    def _pad_active(self) -> bool:
        pad, state = self.gamepad_map, self._pad_state
        if pad is None or state is None:
            return False
        if active_controls(state, pad.dead_zone) & pad.bound_names:
            return True
        return any(
            binding.axis < len(state.axes)
            and binding.shaped(state.axes[binding.axis], pad.dead_zone) != 0.0
            for binding in pad.axes
        )
