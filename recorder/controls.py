"""Keyboard and gamepad maps and user JSON control maps: the public face of the controls.

The work is done in recorder.bindings (the shared binding core), recorder.keyboard,
recorder.gamepad and recorder.control_map; this module gathers their public names.
"""

from clonelab.recorder.bindings import ActionKind, BindingError
from clonelab.recorder.control_map import (
    ControlMap,
    ControlMapError,
    control_map_to_dict,
    load_control_map,
    save_control_map,
    with_saved_controls,
)
from clonelab.recorder.gamepad import (
    GAMEPAD_CONTROL_NAMES,
    AxisBinding,
    GamepadError,
    GamepadMap,
    GamepadReader,
    GamepadState,
    HotplugEvent,
    active_controls,
)
from clonelab.recorder.keyboard import KEY_NAMES, KeyboardMap

__all__ = [
    "GAMEPAD_CONTROL_NAMES",
    "KEY_NAMES",
    "ActionKind",
    "AxisBinding",
    "BindingError",
    "ControlMap",
    "ControlMapError",
    "GamepadError",
    "GamepadMap",
    "GamepadReader",
    "GamepadState",
    "HotplugEvent",
    "KeyboardMap",
    "active_controls",
    "control_map_to_dict",
    "load_control_map",
    "save_control_map",
    "with_saved_controls",
]
