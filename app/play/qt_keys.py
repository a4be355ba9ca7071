"""Qt key codes to the key names of recorder.controls ("left", "space", "a", "7", ...)."""

from __future__ import annotations

from PySide6.QtCore import Qt

_NAMED: dict[int, str] = {
    int(Qt.Key.Key_Left): "left",
    int(Qt.Key.Key_Right): "right",
    int(Qt.Key.Key_Up): "up",
    int(Qt.Key.Key_Down): "down",
    int(Qt.Key.Key_Space): "space",
    int(Qt.Key.Key_Return): "enter",
    int(Qt.Key.Key_Enter): "enter",  # the keypad's Enter plays like Return
    int(Qt.Key.Key_Tab): "tab",
    int(Qt.Key.Key_Shift): "shift",
    int(Qt.Key.Key_Control): "ctrl",
}
_A, _Z, _0, _9 = (int(k) for k in (Qt.Key.Key_A, Qt.Key.Key_Z, Qt.Key.Key_0, Qt.Key.Key_9))


def key_name(key: int) -> str | None:
    """The contract's name for a Qt key code, or None for keys the controls never use."""
    key = int(key)
    if key in _NAMED:
        return _NAMED[key]
    if _A <= key <= _Z:
        return chr(ord("a") + key - _A)
    if _0 <= key <= _9:
        return chr(ord("0") + key - _0)
    return None


def qt_key(name: str) -> int:
    """The Qt key code for a contract key name (the inverse of `key_name`)."""
    for code, known in _NAMED.items():
        if known == name:
            return code
    if len(name) == 1 and "a" <= name <= "z":
        return _A + ord(name) - ord("a")
    if len(name) == 1 and "0" <= name <= "9":
        return _0 + ord(name) - ord("0")
    raise ValueError(f"unknown key name {name!r}")
