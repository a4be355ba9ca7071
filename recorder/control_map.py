"""User JSON control maps: play any gymnasium id with a keyboard and gamepad map from a file.

The format is documented in docs/controls.md; examples live in assets/controls/. Every error
is a `ControlMapError` whose one line names the file, the field and the problem.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np
from gymnasium import spaces

from clonelab.recorder.bindings import ACTION_KINDS, BindingError, action_kind_of, parse_vector
from clonelab.recorder.catalog import EnvBuildError, EnvEntry, make_env, observation_kind_of
from clonelab.recorder.gamepad import GamepadMap
from clonelab.recorder.keyboard import KeyboardMap

CONTROL_MAP_VERSION = 1
REQUIRED_FIELDS = ("env_id", "action_kind", "keyboard")
OPTIONAL_FIELDS = ("version", "title", "fps", "noop", "turn_based", "gamepad", "action_names",
                   "observation_names")
DEFAULT_FPS = 30


class ControlMapError(ValueError):
    """A control-map file that cannot be used; the message names the file and the field."""

    def __init__(self, path: str | os.PathLike[str], field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}")
        self.path = Path(path)
        self.field = field
        self.problem = problem


@dataclass(frozen=True, kw_only=True)
class ControlMap:
    """A loaded control map: the file it came from and the catalog-style entry it describes."""

    path: Path
    entry: EnvEntry


def load_control_map(path: str | os.PathLike[str]) -> ControlMap:
    """Read and validate a JSON control map; builds the env once to check the action space."""
    path = Path(path)
    data = _read_json(path)

    def fail(field: str, problem: str) -> ControlMapError:
        return ControlMapError(path, field, problem)

    if not isinstance(data, Mapping):
        raise fail("(top level)", "expected a JSON object with " + ", ".join(REQUIRED_FIELDS))
    for name in data:
        if name not in REQUIRED_FIELDS + OPTIONAL_FIELDS:
            known = ", ".join(REQUIRED_FIELDS + OPTIONAL_FIELDS)
            raise fail(name, f"unknown field; fields are {known}")
    for name in REQUIRED_FIELDS:
        if name not in data:
            raise fail(name, "missing field")
    if data.get("version", CONTROL_MAP_VERSION) != CONTROL_MAP_VERSION:
        raise fail("version", f"{data['version']!r} is not supported, expected 1")
    env_id = data["env_id"]
    if not isinstance(env_id, str) or not env_id:
        raise fail("env_id", f"expected a gymnasium id string, got {env_id!r}")
    declared = data["action_kind"]
    if declared not in ACTION_KINDS:
        raise fail("action_kind", f"expected one of {', '.join(ACTION_KINDS)}, got {declared!r}")

    try:
        env = make_env(env_id)
    except EnvBuildError as exc:
        raise fail("env_id", str(exc)) from None
    action_space, observation_space = env.action_space, env.observation_space
    render_fps = env.metadata.get("render_fps")
    env.close()
    try:
        actual = action_kind_of(action_space)
    except BindingError as exc:
        raise fail("env_id", f"{env_id}: {exc.problem}") from None
    if declared != actual:
        raise fail(
            "action_kind",
            f"wrong action kind: the map says {declared!r} but {env_id} has {action_space}",
        )
    try:
        observation_kind = observation_kind_of(observation_space)
    except ValueError as exc:
        raise fail("env_id", f"{env_id}: {exc}") from None

    try:
        noop = _parse_noop(data.get("noop"), action_space)
        keyboard = KeyboardMap.from_dict(data["keyboard"], action_space=action_space, noop=noop)
        gamepad = None
        if "gamepad" in data:
            gamepad = GamepadMap.from_dict(data["gamepad"], action_space=action_space, noop=noop)
    except BindingError as exc:
        raise fail(exc.field, exc.problem) from None

    title = data.get("title", env_id)
    if not isinstance(title, str):
        raise fail("title", f"expected a string, got {title!r}")
    fps = data.get("fps", render_fps or DEFAULT_FPS)
    if not isinstance(fps, int) or isinstance(fps, bool) or fps <= 0:
        raise fail("fps", f"expected a positive integer, got {fps!r}")
    turn_based = data.get("turn_based", False)
    if not isinstance(turn_based, bool):
        raise fail("turn_based", f"expected true or false, got {turn_based!r}")
    action_count = (int(action_space.n) if isinstance(action_space, spaces.Discrete)
                    else math.prod(action_space.shape or ()))
    action_names = _parse_names(data.get("action_names"), action_count,
                                "one per action" if actual == "discrete" else
                                "one per action dimension", partial(fail, "action_names"))
    observation_names = _parse_names(data.get("observation_names"),
                                     math.prod(observation_space.shape or ()),
                                     "one per observation entry",
                                     partial(fail, "observation_names"))
    entry = EnvEntry(
        env_id=env_id,
        title=title,
        action_kind=actual,
        keyboard=keyboard,
        gamepad=gamepad,
        fps=fps,
        observation_kind=observation_kind,
        turn_based=turn_based,
        action_names=action_names,
        observation_names=observation_names,
    )
    return ControlMap(path=path, entry=entry)


def control_map_to_dict(entry: EnvEntry) -> dict[str, Any]:
    """The JSON form of an entry (a catalog entry or a loaded map), e.g. after a remap."""
    data: dict[str, Any] = {
        "version": CONTROL_MAP_VERSION,
        "env_id": entry.env_id,
        "title": entry.title,
        "action_kind": entry.action_kind,
        "fps": entry.fps,
        "noop": _noop_json(entry.keyboard.noop),
        "turn_based": entry.turn_based,
        "keyboard": entry.keyboard.to_dict(),
    }
    if entry.gamepad is not None:
        data["gamepad"] = entry.gamepad.to_dict()
    for field in ("action_names", "observation_names"):
        if getattr(entry, field):
            data[field] = list(getattr(entry, field))
    return data


def with_saved_controls(entry: EnvEntry, saved: Mapping[str, Any]) -> EnvEntry:
    """`entry` with the keyboard and gamepad maps of a saved control map (its JSON form).

    Raises BindingError when the saved maps no longer fit the env's action space.
    """
    space, noop = entry.keyboard.action_space, entry.keyboard.noop
    keyboard = KeyboardMap.from_dict(saved.get("keyboard", {}), action_space=space, noop=noop)
    gamepad = entry.gamepad
    if "gamepad" in saved:
        gamepad = GamepadMap.from_dict(saved["gamepad"], action_space=space, noop=noop)
    return dataclasses.replace(entry, keyboard=keyboard, gamepad=gamepad)


def save_control_map(path: str | os.PathLike[str], entry: EnvEntry) -> None:
    """Write `entry` as a control map; the old file stays whole until the new one is complete."""
    path = Path(path)
    text = json.dumps(control_map_to_dict(entry), indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ControlMapError(path, "(file)", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ControlMapError(path, "(file)", "not a UTF-8 text file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ControlMapError(
            path, "(file)", f"bad JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _parse_noop(value: Any, space: spaces.Space) -> int | tuple[float, ...]:
    if isinstance(space, spaces.Discrete):
        if value is None:
            return int(space.start)
        if not isinstance(value, int) or isinstance(value, bool):
            raise BindingError("noop", f"wrong action kind: {space} takes an integer: {value!r}")
        return value
    box = cast(spaces.Box, space)  # action_kind_of() refused every other space
    if value is None:
        return tuple(np.clip(0.0, box.low, box.high).astype(float).tolist())
    if not isinstance(value, list):
        raise BindingError("noop", f"wrong action kind: {space} takes a list: {value!r}")
    return parse_vector(value, "noop")


def _parse_names(value: Any, count: int, what: str,
                 fail: Callable[[str], ControlMapError]) -> tuple[str, ...]:
    """Optional names: a list of `count` non-empty strings, or () when absent."""
    if value is None:
        return ()
    if (not isinstance(value, list) or len(value) != count
            or not all(isinstance(name, str) and name.strip() for name in value)):
        raise fail(f"expected a list of {count} non-empty strings ({what}), got {value!r}")
    return tuple(name.strip() for name in value)


def _noop_json(noop: int | tuple[float, ...]) -> int | list[float]:
    return noop if isinstance(noop, int) else [float(v) for v in noop]
