"""Gamepads: a snapshot of a pad's state, maps from pad controls to actions, and a reader.

Controls are named by SDL's raw joystick indices, which differ between pads and drivers, so the
maps can be remapped and saved (`GamepadMap.rebind`, `to_dict`, `from_dict`):

- ``button0`` .. ``button31``; ``hat_up``, ``hat_down``, ``hat_left``, ``hat_right`` (the d-pad,
  hat 0); ``axis0_neg``, ``axis0_pos`` .. ``axis15_pos`` (a stick or trigger pushed past the
  dead zone, used as a digital input).
- Analog `AxisBinding`s (continuous maps only) drive one action dimension from one axis. A
  stick reads -1..1 with the dead zone around 0; a trigger (``"trigger": true``) reads -1 at
  rest and 1 pressed, and is rescaled to 0..1 with the dead zone above 0.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from gymnasium import spaces

from clonelab.recorder.bindings import BindingError, ButtonBindings

log = logging.getLogger(__name__)

MAX_BUTTONS = 32
MAX_AXES = 16
HAT_DIRECTIONS: dict[str, tuple[int, int]] = {
    "hat_up": (0, 1),
    "hat_down": (0, -1),
    "hat_left": (-1, 0),
    "hat_right": (1, 0),
}
GAMEPAD_CONTROL_NAMES: frozenset[str] = frozenset(
    [f"button{i}" for i in range(MAX_BUTTONS)]
    + list(HAT_DIRECTIONS)
    + [f"axis{i}_{side}" for i in range(MAX_AXES) for side in ("neg", "pos")]
)
DEFAULT_DEAD_ZONE = 0.2


@dataclass(frozen=True, kw_only=True)
class GamepadState:
    """One reading of a pad: axes in -1..1, buttons held, hats as (x, y) with y=1 up."""

    axes: tuple[float, ...] = ()
    buttons: tuple[bool, ...] = ()
    hats: tuple[tuple[int, int], ...] = ()
    name: str = ""


def active_controls(state: GamepadState, dead_zone: float = DEFAULT_DEAD_ZONE) -> frozenset[str]:
    """The digital control names active in `state` (also how a remapping UI spots a press)."""
    active = {f"button{i}" for i, held in enumerate(state.buttons) if held}
    if state.hats:
        x, y = state.hats[0]
        for name, (dx, dy) in HAT_DIRECTIONS.items():
            if (dx != 0 and dx == x) or (dy != 0 and dy == y):
                active.add(name)
    for i, value in enumerate(state.axes):
        if value < -dead_zone:
            active.add(f"axis{i}_neg")
        elif value > dead_zone:
            active.add(f"axis{i}_pos")
    return frozenset(active)


@dataclass(frozen=True, kw_only=True)
class AxisBinding:
    """One pad axis driving one action dimension: ``action[dim] += scale * shaped(axis)``."""

    axis: int
    dim: int
    scale: float = 1.0
    trigger: bool = False

    def shaped(self, value: float, dead_zone: float) -> float:
        """The axis value after the dead zone, rescaled so the full range stays reachable."""
        if self.trigger:
            pressed = (value + 1.0) / 2.0
            return max(0.0, pressed - dead_zone) / (1.0 - dead_zone)
        return float(np.sign(value)) * max(0.0, abs(value) - dead_zone) / (1.0 - dead_zone)


@dataclass(frozen=True, kw_only=True)
class GamepadMap(ButtonBindings):
    """Pad controls to actions: digital controls as in `ButtonBindings`, plus analog axes."""

    section: ClassVar[str] = "gamepad.buttons"
    names: ClassVar[frozenset[str]] = GAMEPAD_CONTROL_NAMES
    names_hint: ClassVar[str] = (
        "button0..button31, hat_up, hat_down, hat_left, hat_right, axis0_neg..axis15_pos"
    )

    axes: tuple[AxisBinding, ...] = ()
    dead_zone: float = DEFAULT_DEAD_ZONE

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.dead_zone < 1.0:
            raise BindingError("gamepad.dead_zone", f"must be in [0, 1), got {self.dead_zone!r}")
        space = self.action_space
        if self.axes and not isinstance(space, spaces.Box):
            raise BindingError(
                "gamepad.axes",
                f"wrong action kind: analog axes need a Box action space, not "
                f"{space}; bind axis directions such as 'axis0_neg' instead",
            )
        dims = space.shape[0] if isinstance(space, spaces.Box) else 0
        for i, binding in enumerate(self.axes):
            where = f"gamepad.axes[{i}]"
            if not 0 <= binding.axis < MAX_AXES:
                raise BindingError(f"{where}.axis", f"must be in 0..{MAX_AXES - 1}")
            if not 0 <= binding.dim < dims:
                raise BindingError(
                    f"{where}.dim", f"{binding.dim} is outside the action space {self.action_space}"
                )
            if not np.isfinite(binding.scale):
                raise BindingError(f"{where}.scale", "must be a finite number")

    def action(self, state: GamepadState) -> Any:
        """The action for one reading of the pad."""
        pressed = active_controls(state, self.dead_zone)
        space = self.action_space
        if not isinstance(space, spaces.Box):
            return self.digital_action(pressed)
        analog = np.zeros(space.shape, dtype=np.float64)
        for binding in self.axes:
            if binding.axis < len(state.axes):
                value = binding.shaped(state.axes[binding.axis], self.dead_zone)
                analog[binding.dim] += binding.scale * value
        return self.digital_action(pressed, analog)

    def rebind_axis(self, index: int, axis: int) -> GamepadMap:
        """A copy whose analog binding number `index` reads pad axis `axis` (remapping)."""
        if not 0 <= index < len(self.axes):
            raise BindingError("gamepad.axes", f"there is no axis binding number {index}")
        axes = list(self.axes)
        axes[index] = dataclasses.replace(axes[index], axis=axis)
        return dataclasses.replace(self, axes=tuple(axes))

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-ready dict; `from_dict` with the same action space and no-op reads it."""
        data: dict[str, Any] = {"dead_zone": self.dead_zone, "buttons": self.bindings_to_dict()}
        if self.axes:
            data["axes"] = [dataclasses.asdict(binding) for binding in self.axes]
        return data

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, action_space: spaces.Space, noop: Any
    ) -> GamepadMap:
        """Build from the JSON form; raises `BindingError` naming the offending field."""
        if not isinstance(data, Mapping):
            raise BindingError("gamepad", "expected an object with 'buttons' and 'axes'")
        unknown = set(data) - {"dead_zone", "buttons", "axes"}
        if unknown:
            raise BindingError(f"gamepad.{sorted(unknown)[0]}", "unknown field")
        bindings = cls.parse_bindings(data.get("buttons", {}), action_space=action_space)
        dead_zone = data.get("dead_zone", DEFAULT_DEAD_ZONE)
        if not isinstance(dead_zone, int | float) or isinstance(dead_zone, bool):
            raise BindingError("gamepad.dead_zone", f"expected a number, got {dead_zone!r}")
        return cls(
            action_space=action_space,
            noop=noop,
            axes=tuple(_parse_axis(item, i) for i, item in enumerate(data.get("axes", []))),
            dead_zone=float(dead_zone),
            **bindings,
        )


def _parse_axis(item: Any, index: int) -> AxisBinding:
    where = f"gamepad.axes[{index}]"
    if not isinstance(item, Mapping):
        raise BindingError(where, "expected an object with 'axis', 'dim' and optional 'scale'")
    for key in ("axis", "dim"):
        if key not in item:
            raise BindingError(f"{where}.{key}", "missing field")
        if not isinstance(item[key], int) or isinstance(item[key], bool):
            raise BindingError(f"{where}.{key}", f"expected an integer, got {item[key]!r}")
    unknown = set(item) - {"axis", "dim", "scale", "trigger"}
    if unknown:
        raise BindingError(f"{where}.{sorted(unknown)[0]}", "unknown field")
    scale = item.get("scale", 1.0)
    if not isinstance(scale, int | float) or isinstance(scale, bool):
        raise BindingError(f"{where}.scale", f"expected a number, got {scale!r}")
    trigger = item.get("trigger", False)
    if not isinstance(trigger, bool):
        raise BindingError(f"{where}.trigger", f"expected true or false, got {trigger!r}")
    return AxisBinding(axis=item["axis"], dim=item["dim"], scale=float(scale), trigger=trigger)


class GamepadError(RuntimeError):
    """SDL could not be started to read gamepads."""


@dataclass(frozen=True, kw_only=True)
class HotplugEvent:
    """A pad was plugged in or pulled out."""

    kind: Literal["connected", "disconnected"]
    name: str
    instance_id: int


class GamepadReader:
    """Polls pygame-ce joysticks without blocking; the first pad still connected is read.

    Call `poll()` once per tick from the thread that created the reader. Hot-plug is reported
    through `connected` and the optional `on_hotplug` callback.
    """

    def __init__(self, *, on_hotplug: Callable[[HotplugEvent], None] | None = None) -> None:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        # SDL drops joystick events while none of its windows has focus; ours never will,
        # since the focused window is Qt's.
        os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
        import pygame

        self._pg = pygame
        self._on_hotplug = on_hotplug
        # instance id -> (pygame Joystick, name), oldest first; the name outlives the object
        self._pads: dict[int, tuple[Any, str]] = {}
        self._start()

    @property
    def connected(self) -> bool:
        """Whether a pad is connected."""
        return bool(self._pads)

    @property
    def name(self) -> str | None:
        """The name of the pad being read, or None."""
        return next((name for _, name in self._pads.values()), None)

    def poll(self) -> GamepadState | None:
        """Handle hot-plug and read the active pad; None when no pad is connected."""
        pg = self._pg
        if not (pg.display.get_init() and pg.joystick.get_init()):
            # Something called pygame.quit() (a gymnasium renderer's close() does): every
            # Joystick object is dead, so start over and reopen what is still plugged in.
            for instance_id in list(self._pads):
                self._close(instance_id)
            self._start()
        for event in pg.event.get((pg.JOYDEVICEADDED, pg.JOYDEVICEREMOVED)):
            if event.type == pg.JOYDEVICEADDED:
                self._open(event.device_index)
            else:
                self._close(event.instance_id)
        # The state is read directly below; motion events would only pile up in the queue.
        pg.event.clear(
            (pg.JOYAXISMOTION, pg.JOYBALLMOTION, pg.JOYHATMOTION, pg.JOYBUTTONDOWN, pg.JOYBUTTONUP)
        )
        if not self._pads:
            return None
        instance_id, (pad, name) = next(iter(self._pads.items()))
        try:
            return GamepadState(
                axes=tuple(pad.get_axis(i) for i in range(pad.get_numaxes())),
                buttons=tuple(bool(pad.get_button(i)) for i in range(pad.get_numbuttons())),
                hats=tuple(tuple(pad.get_hat(i)) for i in range(pad.get_numhats())),
                name=name,
            )
        except pg.error as exc:
            log.warning("gamepad %s stopped answering: %s", name, exc)
            self._close(instance_id)
            return None

    def close(self) -> None:
        """Release every pad (the SDL subsystems stay up for whoever else uses them)."""
        for instance_id in list(self._pads):
            self._close(instance_id)

    def _start(self) -> None:
        pg = self._pg
        try:
            if not pg.display.get_init():
                pg.display.init()
            if not pg.joystick.get_init():
                pg.joystick.init()
        except pg.error as exc:
            raise GamepadError(f"cannot start SDL to read gamepads: {exc}") from exc
        for index in range(pg.joystick.get_count()):
            self._open(index)

    def _open(self, device_index: int) -> None:
        try:
            pad = self._pg.joystick.Joystick(device_index)
        except self._pg.error as exc:
            log.warning("cannot open gamepad %d: %s", device_index, exc)
            return
        instance_id = pad.get_instance_id()
        if instance_id in self._pads:
            return
        name = pad.get_name()
        self._pads[instance_id] = (pad, name)
        log.info("gamepad connected: %s", name)
        self._notify("connected", name, instance_id)

    def _close(self, instance_id: int) -> None:
        if instance_id not in self._pads:
            return
        pad, name = self._pads.pop(instance_id)
        if self._pg.joystick.get_init():
            pad.quit()
        log.info("gamepad disconnected: %s", name)
        self._notify("disconnected", name, instance_id)

    def _notify(self, kind: Literal["connected", "disconnected"], name: str,
                instance_id: int) -> None:
        if self._on_hotplug is not None:
            self._on_hotplug(HotplugEvent(kind=kind, name=name, instance_id=instance_id))
