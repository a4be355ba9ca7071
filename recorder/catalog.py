"""The catalog of playable environments and `make_env`, which builds any gymnasium id.

Each entry carries what human play needs: the action kind, a keyboard map, a gamepad map, a
playing speed and the observation kind. Ids outside the catalog are played with a JSON control
map (recorder.control_map, docs/controls.md).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import WrapperSpec, load_env_creator

from clonelab.recorder.bindings import ActionKind, action_kind_of
from clonelab.recorder.dict_observations import check_flattenable
from clonelab.recorder.gamepad import AxisBinding, GamepadMap
from clonelab.recorder.keyboard import KeyboardMap
from clonelab.recorder.maze_envs import TWO_WAYS_ID, import_robotics_quietly, register_maze_envs

log = logging.getLogger(__name__)

ObservationKind = Literal["vector", "image"]
DEFAULT_ENV_ID = "LunarLander-v3"
MINIGRID_TILE_SIZE = 8


class UnknownEnvError(LookupError):
    """An env id that is not in the catalog."""


class EnvBuildError(RuntimeError):
    """An environment that gymnasium could not build."""


@dataclass(frozen=True, kw_only=True)
class EnvEntry:
    """One playable environment and how a human plays it.

    `turn_based` entries (grid worlds) have no idle action worth recording: the app should step
    them only when a bound key or button is pressed, not on every tick. `action_names` and
    `observation_names` are a JSON control map's own names; catalog ids are named in
    recorder.action_names.
    """

    env_id: str
    title: str
    action_kind: ActionKind
    keyboard: KeyboardMap
    gamepad: GamepadMap | None
    fps: int
    observation_kind: ObservationKind
    turn_based: bool = False
    action_names: tuple[str, ...] = ()
    observation_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, controls in (("keyboard", self.keyboard), ("gamepad", self.gamepad)):
            if controls is not None and controls.action_kind != self.action_kind:
                raise ValueError(
                    f"{self.env_id}: {name} map is {controls.action_kind}, "
                    f"entry is {self.action_kind}"
                )
        if self.fps <= 0:
            raise ValueError(f"{self.env_id}: fps must be positive, got {self.fps}")


def _entry(
    env_id: str,
    title: str,
    space: spaces.Discrete | spaces.Box,
    *,
    keys: dict[str, Any],
    pad: dict[str, Any],
    fps: int,
    noop: int | None = None,
    axes: tuple[AxisBinding, ...] = (),
    observation_kind: ObservationKind = "vector",
    turn_based: bool = False,
) -> EnvEntry:
    """An entry from JSON-style bindings; the no-op defaults to 0 (discrete) or zeros."""
    idle: int | tuple[float, ...] = (0.0,) * space.shape[0] if space.shape else 0
    if noop is not None:
        idle = noop
    return EnvEntry(
        env_id=env_id,
        title=title,
        action_kind=action_kind_of(space),
        keyboard=KeyboardMap.from_dict(keys, action_space=space, noop=idle),
        gamepad=GamepadMap(
            action_space=space,
            noop=idle,
            axes=axes,
            **GamepadMap.parse_bindings(pad, action_space=space),
        ),
        fps=fps,
        observation_kind=observation_kind,
        turn_based=turn_based,
    )


def _box(low: list[float], high: list[float]) -> spaces.Box:
    return spaces.Box(low=np.asarray(low, np.float32), high=np.asarray(high, np.float32))


# Pad defaults follow an Xbox-style pad as SDL reports it on Linux: axes 0/1 left stick,
# 2 left trigger, 3/4 right stick, 5 right trigger; buttons 0 A, 1 B, 2 X, 3 Y; hat 0 d-pad.
# Stick "up" is negative. Other pads differ: users remap (docs/controls.md).
_LEFT_X, _LEFT_Y, _RIGHT_X, _RIGHT_Y = 0, 1, 3, 4

# fps: gymnasium's render_fps (real time) unless noted. ALE v5 steps 4 frames of a 60 Hz game,
# so 15 steps/s is real time; CartPole's 50 Hz lets the pole fall faster than people react.
_ENTRIES = [
    _entry(
        "CartPole-v1", "CartPole: balance the pole", spaces.Discrete(2),
        keys={"left": 0, "right": 1}, pad={"hat_left": 0, "hat_right": 1, "axis0_neg": 0,
                                            "axis0_pos": 1},
        noop=0, fps=30,
    ),
    _entry(
        "MountainCar-v0", "Mountain Car: rock up the hill", spaces.Discrete(3),
        keys={"left": 0, "right": 2}, pad={"hat_left": 0, "hat_right": 2, "axis0_neg": 0,
                                            "axis0_pos": 2},
        noop=1, fps=30,
    ),
    _entry(
        "MountainCarContinuous-v0", "Mountain Car (continuous force)", _box([-1.0], [1.0]),
        keys={"left": [-1.0], "right": [1.0]}, pad={"hat_left": [-1.0], "hat_right": [1.0]},
        axes=(AxisBinding(axis=_LEFT_X, dim=0),), fps=30,
    ),
    _entry(
        "Acrobot-v1", "Acrobot: swing the tip above the line", spaces.Discrete(3),
        keys={"left": 0, "right": 2}, pad={"hat_left": 0, "hat_right": 2, "axis0_neg": 0,
                                            "axis0_pos": 2},
        noop=1, fps=15,
    ),
    _entry(
        # Positive torque turns the pendulum anticlockwise on screen: "left".
        "Pendulum-v1", "Pendulum: swing up and balance", _box([-2.0], [2.0]),
        keys={"left": [2.0], "right": [-2.0]}, pad={"hat_left": [2.0], "hat_right": [-2.0]},
        axes=(AxisBinding(axis=_LEFT_X, dim=0, scale=-2.0),), fps=30,
    ),
    _entry(
        "LunarLander-v3", "Lunar Lander: land between the flags", spaces.Discrete(4),
        keys={"left": 1, "up": 2, "right": 3},
        pad={"hat_left": 1, "hat_up": 2, "hat_right": 3, "button0": 2},
        noop=0, fps=50,
    ),
    _entry(
        # Main engine off below 0; side engines fire past +-0.5.
        "LunarLanderContinuous-v3", "Lunar Lander (continuous engines)",
        _box([-1.0, -1.0], [1.0, 1.0]),
        keys={"up": [1.0, 0.0], "left": [0.0, -1.0], "right": [0.0, 1.0]},
        pad={"button0": [1.0, 0.0], "hat_up": [1.0, 0.0]},
        axes=(AxisBinding(axis=_LEFT_Y, dim=0, scale=-1.0), AxisBinding(axis=_LEFT_X, dim=1)),
        fps=50,
    ),
    _entry(
        # Left stick: steer, up for gas, down for brake (clipping drops the opposite side).
        "CarRacing-v3", "Car Racing", _box([-1.0, 0.0, 0.0], [1.0, 1.0, 1.0]),
        keys={"left": [-1.0, 0.0, 0.0], "right": [1.0, 0.0, 0.0], "up": [0.0, 1.0, 0.0],
              "down": [0.0, 0.0, 0.8]},
        pad={"button0": [0.0, 1.0, 0.0], "button1": [0.0, 0.0, 0.8]},
        axes=(
            AxisBinding(axis=_LEFT_X, dim=0),
            AxisBinding(axis=_LEFT_Y, dim=1, scale=-1.0),
            AxisBinding(axis=_LEFT_Y, dim=2, scale=0.8),
        ),
        fps=50, observation_kind="image",
    ),
    _entry(
        # Hip and knee of each leg: q/a w/s for the first leg, u/j o/l for the second (k is
        # the app's Keep key).
        "BipedalWalker-v3", "Bipedal Walker", _box([-1.0] * 4, [1.0] * 4),
        keys={"q": [1.0, 0, 0, 0], "a": [-1.0, 0, 0, 0], "w": [0, 1.0, 0, 0],
              "s": [0, -1.0, 0, 0], "u": [0, 0, 1.0, 0], "j": [0, 0, -1.0, 0],
              "o": [0, 0, 0, 1.0], "l": [0, 0, 0, -1.0]},
        pad={},
        axes=(
            AxisBinding(axis=_LEFT_Y, dim=0, scale=-1.0),
            AxisBinding(axis=_LEFT_X, dim=1),
            AxisBinding(axis=_RIGHT_Y, dim=2, scale=-1.0),
            AxisBinding(axis=_RIGHT_X, dim=3),
        ),
        fps=50,
    ),
    _entry(
        # Pong's minimal actions: NOOP, FIRE, RIGHT (paddle up), LEFT (down), and +FIRE.
        "ALE/Pong-v5", "Atari Pong", spaces.Discrete(6),
        keys={"space": 1, "up": 2, "down": 3, "space+up": 4, "down+space": 5},
        pad={"button0": 1, "hat_up": 2, "hat_down": 3, "button0+hat_up": 4,
             "button0+hat_down": 5, "axis1_neg": 2, "axis1_pos": 3},
        noop=0, fps=15, observation_kind="image",
    ),
    _entry(
        "ALE/Breakout-v5", "Atari Breakout", spaces.Discrete(4),
        keys={"space": 1, "right": 2, "left": 3},
        pad={"button0": 1, "hat_right": 2, "hat_left": 3, "axis0_pos": 2, "axis0_neg": 3},
        noop=0, fps=15, observation_kind="image",
    ),
    *(
        _entry(
            # MiniGrid has no idle action; "done" (6) changes nothing outside a few missions.
            # Pick up on tab and drop on shift, as MiniGrid's own manual_control does (p and d
            # are the app's Play and Discard keys).
            env_id, title, spaces.Discrete(7),
            keys={"left": 0, "right": 1, "up": 2, "tab": 3, "shift": 4, "space": 5, "enter": 6},
            pad={"hat_left": 0, "hat_right": 1, "hat_up": 2, "button0": 5, "button1": 4,
                 "button2": 3, "button7": 6},
            noop=6, fps=10, observation_kind="image", turn_based=True,
        )
        for env_id, title in (
            ("MiniGrid-Empty-5x5-v0", "MiniGrid: empty room 5x5"),
            ("MiniGrid-Empty-8x8-v0", "MiniGrid: empty room 8x8"),
            ("MiniGrid-DoorKey-5x5-v0", "MiniGrid: key, door and goal 5x5"),
        )
    ),
    _entry(
        # A force on the ball, (x, y) in the maze's frame: up on screen is +y; two arrows
        # held push diagonally. fps 25: half of PointMaze's real time, which MuJoCo's
        # software rendering keeps up with.
        TWO_WAYS_ID, "PointMaze: round the block, left or right", _box([-1.0] * 2, [1.0] * 2),
        keys={"left": [-1.0, 0.0], "right": [1.0, 0.0], "up": [0.0, 1.0], "down": [0.0, -1.0]},
        pad={"hat_left": [-1.0, 0.0], "hat_right": [1.0, 0.0], "hat_up": [0.0, 1.0],
             "hat_down": [0.0, -1.0]},
        axes=(AxisBinding(axis=_LEFT_X, dim=0), AxisBinding(axis=_LEFT_Y, dim=1, scale=-1.0)),
        fps=25,
    ),
]
CATALOG: dict[str, EnvEntry] = {entry.env_id: entry for entry in _ENTRIES}


def get_entry(env_id: str) -> EnvEntry:
    """The catalog entry for `env_id`; raises `UnknownEnvError` for other ids."""
    try:
        return CATALOG[env_id]
    except KeyError:
        raise UnknownEnvError(
            f"{env_id!r} is not in the CloneLab catalog ({', '.join(CATALOG)}); "
            "play it with a JSON control map (see docs/controls.md)"
        ) from None


def env_fps(env_id: str, env: gymnasium.Env) -> float:
    """The catalog's playing speed, else the env's render_fps, else 30."""
    try:
        return float(get_entry(env_id).fps)
    except UnknownEnvError:
        return float(env.metadata.get("render_fps") or 30)


def observation_kind_of(space: spaces.Space) -> ObservationKind:
    """``"image"`` for an (H, W, C) uint8 Box, ``"vector"`` for other Boxes and for Dicts
    (flattened by key, recorder.dict_observations); raises ValueError for other spaces, which
    CloneLab does not record, and for a Dict entry it cannot flatten (naming the key)."""
    if isinstance(space, spaces.Dict):
        check_flattenable(space)
        return "vector"
    if not isinstance(space, spaces.Box):
        raise ValueError(f"observes {space}; CloneLab records Box and Dict observations only")
    if space.dtype == np.uint8 and len(space.shape) == 3:
        return "image"
    return "vector"


@functools.cache
def _register_extra_envs() -> None:
    import ale_py
    import minigrid

    gymnasium.register_envs(ale_py)
    gymnasium.register_envs(minigrid)
    register_maze_envs()


def make_env(env_id: str, *, render_mode: str | None = None, **kwargs: Any) -> gymnasium.Env:
    """Build `env_id` with the catalog's wrappers; raises `EnvBuildError` with one clear line.

    MiniGrid envs (in the catalog or not) get RGB pixel observations of 8-pixel tiles, a
    ``Box(0, 255, (H, W, 3), uint8)``; other ids are built plainly.
    """
    _register_extra_envs()
    spec = gymnasium.envs.registry.get(env_id)
    if spec is not None and str(spec.entry_point).startswith("gymnasium_robotics"):
        import_robotics_quietly()
    try:
        env = gymnasium.make(env_id, render_mode=render_mode, **kwargs)
    except Exception as exc:  # gymnasium raises many kinds for bad ids, versions and kwargs
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EnvBuildError(f"cannot build environment {env_id!r}: {problem}") from exc
    return _wrap(env)


MINIGRID_WRAPPERS = (
    WrapperSpec("RGBImgObsWrapper", "minigrid.wrappers:RGBImgObsWrapper",
                {"tile_size": MINIGRID_TILE_SIZE}),
    WrapperSpec("ImgObsWrapper", "minigrid.wrappers:ImgObsWrapper", {}),
)
"""What `make_env` wraps MiniGrid envs in (pixel observations), as gymnasium wrapper specs with
their arguments: a dataset's env spec lists them, so Minari's `recover_environment` rebuilds the
observations that were recorded (MiniGrid's wrappers do not record their own arguments)."""


def added_wrappers(env_id: str) -> tuple[WrapperSpec, ...]:
    """The wrappers `make_env(env_id)` adds to what `gymnasium.make` builds (none if unknown)."""
    _register_extra_envs()
    spec = gymnasium.envs.registry.get(env_id)
    if spec is None or spec.entry_point is None:
        return ()
    try:
        creator = (spec.entry_point if callable(spec.entry_point)
                   else load_env_creator(spec.entry_point))
    except Exception:  # noqa: BLE001 - an entry point that does not import builds nothing
        return ()
    return MINIGRID_WRAPPERS if _is_minigrid(creator) else ()


def _wrap(env: gymnasium.Env) -> gymnasium.Env:
    if _is_minigrid(type(env.unwrapped)):
        for wrapper in MINIGRID_WRAPPERS:
            # gymnasium.make loads additional wrappers this way too: one spec, one behaviour.
            make_wrapper = cast(Callable[..., gymnasium.Env],
                                load_env_creator(wrapper.entry_point))
            env = make_wrapper(env, **(wrapper.kwargs or {}))
    return env


def _is_minigrid(creator: object) -> bool:
    from minigrid.minigrid_env import MiniGridEnv

    return isinstance(creator, type) and issubclass(creator, MiniGridEnv)
