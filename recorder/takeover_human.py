"""A person ready to take over from a clone: keyboard and gamepad, with Shift (Ctrl where the env
binds Shift) or a shoulder button held to take over (meets the `models.failures.takeover.Human`
protocol)."""

from __future__ import annotations

from typing import Any

from clonelab.recorder.gamepad import GamepadState
from clonelab.recorder.human_source import HumanSource

TAKEOVER_KEYS = ("shift", "ctrl")
"""Candidates for the takeover key, in order: the first the env's controls leave free is used
(MiniGrid drops on Shift, as its own manual control does)."""
TAKEOVER_KEY = TAKEOVER_KEYS[0]
TAKEOVER_BUTTON = 5
"""The right shoulder button (SDL's Xbox layout); no catalog env binds it."""


class TakeoverHuman:
    """Drives with the env's keys or pad (through `HumanSource`); wants control while the
    takeover key (`key`) or button is held. The takeover key is one the env does not bind, so it
    never changes the action."""

    def __init__(self, source: HumanSource) -> None:
        self.source = source
        self.key: str | None = next((k for k in TAKEOVER_KEYS if not source.binds(k)), None)
        """The key held to take over; None when the env binds every candidate (the pad's
        button still takes over)."""
        self._key_held = False
        self._pad_held = False

    @property
    def device(self) -> str:
        """The device behind the last action ("keyboard" or "gamepad")."""
        return self.source.device

    @property
    def holding(self) -> bool:
        """Whether the takeover key or button is held now."""
        return self._key_held or self._pad_held

    def press(self, key: str) -> None:
        """A key went down."""
        self._key_held = self._key_held or key == self.key
        self.source.press(key)

    def release(self, key: str) -> None:
        """A key came up."""
        self._key_held = self._key_held and key != self.key
        self.source.release(key)

    def release_all(self) -> None:
        """Forget held keys (focus lost)."""
        self._key_held = False
        self.source.release_all()

    def set_gamepad_state(self, state: GamepadState | None) -> None:
        """The latest pad reading (None: no pad)."""
        buttons = state.buttons if state is not None else ()
        self._pad_held = len(buttons) > TAKEOVER_BUTTON and bool(buttons[TAKEOVER_BUTTON])
        self.source.set_gamepad_state(state)

    def plays(self, key: str) -> bool:
        """Whether the key drives the env or takes over (its presses belong here)."""
        return key == self.key or self.source.binds(key)

    def reset(self, seed: int | None = None) -> None:
        """Held keys stay held across episodes."""
        self.source.reset(seed)

    def act(self, observation: Any) -> Any:
        """The keyboard's or the pad's action."""
        return self.source.act(observation)

    def wants_control(self, observation: Any) -> bool:
        """True while the takeover key or button is held."""
        return self.holding
