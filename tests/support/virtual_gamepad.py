"""A virtual gamepad for tests: SDL's virtual joystick driven through ctypes.

There is no /dev/uinput here, but the SDL2 bundled with pygame-ce can attach virtual joysticks
that deliver real joystick events on `pygame.event.pump()`. Needs `pygame.display.init()` with
``SDL_VIDEODRIVER=dummy`` (tests/conftest.py sets it) and the joystick subsystem started.

    pad = VirtualGamepad.attach()
    pad.set_axis(0, -1.0); pad.set_button(0, True); pad.set_hat(0, "up")
    pad.detach()   # an unplug
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import pygame

# SDL_HAT_* bit masks.
HAT_MASKS = {"centered": 0, "up": 1, "right": 2, "down": 4, "left": 8}
SDL_JOYSTICK_TYPE_UNKNOWN = 0


def _load_sdl() -> ctypes.CDLL:
    """The very SDL2 library pygame-ce runs on (dlopen of a loaded path gives the same handle)."""
    libs = Path(pygame.__file__).resolve().parent.parent / "pygame_ce.libs"
    found = sorted(libs.glob("libSDL2-*.so*"))
    if not found:
        raise RuntimeError(f"no bundled SDL2 library under {libs}")
    sdl = ctypes.CDLL(str(found[0]))
    sdl.SDL_JoystickAttachVirtual.argtypes = [ctypes.c_int] * 4
    sdl.SDL_JoystickAttachVirtual.restype = ctypes.c_int
    sdl.SDL_JoystickOpen.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickOpen.restype = ctypes.c_void_p
    sdl.SDL_JoystickClose.argtypes = [ctypes.c_void_p]
    sdl.SDL_JoystickInstanceID.argtypes = [ctypes.c_void_p]
    sdl.SDL_JoystickInstanceID.restype = ctypes.c_int32
    sdl.SDL_NumJoysticks.restype = ctypes.c_int
    sdl.SDL_JoystickGetDeviceInstanceID.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickGetDeviceInstanceID.restype = ctypes.c_int32
    sdl.SDL_JoystickDetachVirtual.argtypes = [ctypes.c_int]
    sdl.SDL_JoystickDetachVirtual.restype = ctypes.c_int
    for name, value_type in [
        ("SDL_JoystickSetVirtualAxis", ctypes.c_int16),
        ("SDL_JoystickSetVirtualButton", ctypes.c_uint8),
        ("SDL_JoystickSetVirtualHat", ctypes.c_uint8),
    ]:
        function = getattr(sdl, name)
        function.argtypes = [ctypes.c_void_p, ctypes.c_int, value_type]
        function.restype = ctypes.c_int
    sdl.SDL_GetError.restype = ctypes.c_char_p
    return sdl


class VirtualGamepad:
    """One attached virtual pad (6 axes, 11 buttons, 1 hat by default, like an Xbox pad)."""

    def __init__(self, sdl: ctypes.CDLL, handle: int, instance_id: int) -> None:
        self._sdl = sdl
        self._handle = handle
        self.instance_id = instance_id
        self.attached = True

    @classmethod
    def attach(cls, *, axes: int = 6, buttons: int = 11, hats: int = 1) -> VirtualGamepad:
        """Plug a virtual pad in; starts pygame's display and joystick subsystems if needed."""
        if not pygame.display.get_init():
            pygame.display.init()
        if not pygame.joystick.get_init():
            pygame.joystick.init()
        sdl = _load_sdl()
        index = sdl.SDL_JoystickAttachVirtual(SDL_JOYSTICK_TYPE_UNKNOWN, axes, buttons, hats)
        if index < 0:
            raise RuntimeError(f"SDL_JoystickAttachVirtual failed: {sdl.SDL_GetError()}")
        handle = sdl.SDL_JoystickOpen(index)
        if not handle:
            raise RuntimeError(f"SDL_JoystickOpen failed: {sdl.SDL_GetError()}")
        pad = cls(sdl, handle, sdl.SDL_JoystickInstanceID(handle))
        pygame.event.pump()
        return pad

    def set_axis(self, axis: int, value: float) -> None:
        """Move an axis to `value` in -1..1, then pump so pygame sees it."""
        raw = max(-32768, min(32767, round(value * 32768)))
        self._check(self._sdl.SDL_JoystickSetVirtualAxis(self._handle, axis, raw), "axis")

    def set_button(self, button: int, pressed: bool) -> None:
        """Press or release a button, then pump."""
        result = self._sdl.SDL_JoystickSetVirtualButton(self._handle, button, int(pressed))
        self._check(result, "button")

    def set_hat(self, hat: int, *directions: str) -> None:
        """Point a hat: no directions is centred, else e.g. ``"up"`` or ``"up", "left"``."""
        mask = 0
        for direction in directions:
            mask |= HAT_MASKS[direction]
        self._check(self._sdl.SDL_JoystickSetVirtualHat(self._handle, hat, mask), "hat")

    def detach(self) -> None:
        """Unplug the pad (pygame sees JOYDEVICEREMOVED at the next pump)."""
        if not self.attached:
            return
        self.attached = False
        for index in range(self._sdl.SDL_NumJoysticks()):
            if self._sdl.SDL_JoystickGetDeviceInstanceID(index) == self.instance_id:
                self._sdl.SDL_JoystickDetachVirtual(index)
                self._sdl.SDL_JoystickClose(self._handle)
                break
        # Not found: pygame.quit() already shut SDL's joysticks down and freed the handle.

    def _check(self, result: int, what: str) -> None:
        if result < 0:
            raise RuntimeError(f"setting a virtual {what} failed: {self._sdl.SDL_GetError()}")
        pygame.event.pump()
