"""Names for what an env's actions do and what its observation entries mean.

Views, plots and exports show "fire main engine" instead of ``2`` and "steer" instead of
``a0``. Names come, in this order, from a JSON control map (`EnvEntry.action_names`,
`EnvEntry.observation_names`), from the written tables below (gymnasium's documentation of each
env), or from the env itself: ALE's ``get_action_meanings()`` and MiniGrid's ``Actions`` enum.
Without any, actions stay numbers and observation entries indices.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clonelab.recorder.episode import format_action

if TYPE_CHECKING:
    import gymnasium

    from clonelab.recorder.catalog import EnvEntry

log = logging.getLogger(__name__)

_LUNAR_LANDER_OBSERVATIONS = (
    "x position", "y position", "x velocity", "y velocity", "angle", "angular velocity",
    "left leg contact", "right leg contact",
)
_MOUNTAIN_CAR_OBSERVATIONS = ("position", "velocity")
_MINIGRID_ACTIONS = ("turn left", "turn right", "forward", "pickup", "drop", "toggle", "done")

# Discrete: one name per action, in action order. Box: one name per action dimension.
ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "CartPole-v1": ("push left", "push right"),
    "MountainCar-v0": ("accelerate left", "don't accelerate", "accelerate right"),
    "MountainCarContinuous-v0": ("force",),
    "Acrobot-v1": ("torque -1", "no torque", "torque +1"),
    "Pendulum-v1": ("torque",),
    "LunarLander-v3": ("noop", "fire left engine", "fire main engine", "fire right engine"),
    "LunarLanderContinuous-v3": ("main engine", "lateral engine"),
    "CarRacing-v3": ("steer", "gas", "brake"),
    "BipedalWalker-v3": ("hip 1", "knee 1", "hip 2", "knee 2"),
    # ALE names these RIGHT and LEFT (its joystick); on Pong's screen the paddle goes up, down.
    "ALE/Pong-v5": ("noop", "fire", "up", "down", "up + fire", "down + fire"),
    "MiniGrid-Empty-5x5-v0": _MINIGRID_ACTIONS,
    "MiniGrid-Empty-8x8-v0": _MINIGRID_ACTIONS,
    "MiniGrid-DoorKey-5x5-v0": _MINIGRID_ACTIONS,
    "PointMaze_TwoWays-v3": ("force x", "force y"),
}

# Vector observations, one name per entry, as gymnasium documents them.
OBSERVATION_NAMES: dict[str, tuple[str, ...]] = {
    "CartPole-v1": ("cart position", "cart velocity", "pole angle", "pole angular velocity"),
    "MountainCar-v0": _MOUNTAIN_CAR_OBSERVATIONS,
    "MountainCarContinuous-v0": _MOUNTAIN_CAR_OBSERVATIONS,
    "Acrobot-v1": ("cos(theta1)", "sin(theta1)", "cos(theta2)", "sin(theta2)",
                   "angular velocity 1", "angular velocity 2"),
    "Pendulum-v1": ("cos(theta)", "sin(theta)", "angular velocity"),
    "LunarLander-v3": _LUNAR_LANDER_OBSERVATIONS,
    "LunarLanderContinuous-v3": _LUNAR_LANDER_OBSERVATIONS,
    "BipedalWalker-v3": (
        "hull angle", "hull angular velocity", "x velocity", "y velocity",
        "hip 1 angle", "hip 1 speed", "knee 1 angle", "knee 1 speed", "leg 1 contact",
        "hip 2 angle", "hip 2 speed", "knee 2 angle", "knee 2 speed", "leg 2 contact",
        *(f"lidar {i}" for i in range(1, 11)),
    ),
    # A Dict, flattened by key in gymnasium's sorted order (recorder.dict_observations).
    "PointMaze_TwoWays-v3": ("ball x", "ball y", "goal x", "goal y", "ball x (observation)",
                             "ball y (observation)", "ball x velocity", "ball y velocity"),
}


@dataclass(frozen=True, kw_only=True)
class EnvNames:
    """An env's action names (per action, or per dimension of a Box) and observation names."""

    actions: tuple[str, ...] = ()
    observations: tuple[str, ...] = ()

    def action(self, action: Any) -> str:
        """One action as text: "fire main engine", "steer -0.500, gas 1.000, brake 0.000"."""
        return format_action(action, self.actions)

    def action_axis(self, count: int, start: int = 0) -> list[str]:
        """A label per bar or curve of `count` actions (Discrete) or dimensions (Box)."""
        if len(self.actions) == count:
            return list(self.actions)
        return [str(start + i) for i in range(count)]

    def action_dimensions(self, count: int) -> list[str]:
        """A label per dimension of a Box action: its name, else ``a0``, ``a1``..."""
        if len(self.actions) == count:
            return list(self.actions)
        return [f"a{i}" for i in range(count)]

    def vector_change(self, vector: Sequence[float]) -> str:
        """What a key's vector adds to the no-op: "gas +1", "steer -1" ("nothing" if zeros)."""
        names = self.action_dimensions(len(vector))
        parts = [f"{name} {value:+g}" for name, value in zip(names, vector, strict=True)
                 if value != 0]
        return ", ".join(parts) or "nothing"

    def observation_rows(self, count: int) -> list[str]:
        """A label per observation entry: its name, else its index."""
        if len(self.observations) == count:
            return list(self.observations)
        return [str(i) for i in range(count)]


def env_names(env_id: str, *, entry: EnvEntry | None = None,
              env: gymnasium.Env | None = None) -> EnvNames:
    """The names for `env_id`: a control map's (`entry`), the written ones, else the env's own.

    An `entry` of another env id is ignored, so a view may pass the workspace's entry whatever
    the env of what it shows. `env` (already built) is asked for its names when there are no
    others; without one, an id with no written action names is built once (cached) to ask it.
    Envs that cannot be built (an ALE game without its ROM) keep numbers.
    """
    if entry is not None and entry.env_id != env_id:
        entry = None
    actions = (entry.action_names if entry is not None else ()) or ACTION_NAMES.get(env_id, ())
    observations = ((entry.observation_names if entry is not None else ())
                    or OBSERVATION_NAMES.get(env_id, ()))
    if not actions:
        actions = reported_action_names(env) if env is not None else _built_names(env_id)
    return EnvNames(actions=actions, observations=observations)


def reported_action_names(env: gymnasium.Env) -> tuple[str, ...]:
    """The names an env gives its discrete actions (ALE, MiniGrid), lowercased; else ()."""
    meanings = getattr(env.unwrapped, "get_action_meanings", None)
    if callable(meanings):
        return tuple(_spoken(str(name)) for name in meanings())
    actions = getattr(env.unwrapped, "actions", None)  # MiniGrid's Actions enum
    if isinstance(actions, type) and issubclass(actions, enum.Enum):
        return tuple(action.name.replace("_", " ") for action in actions)
    return ()


@functools.cache
def _built_names(env_id: str) -> tuple[str, ...]:
    from clonelab.recorder.catalog import make_env  # catalog imports nothing from here

    try:
        env = make_env(env_id)
    except Exception as exc:  # noqa: BLE001 - any failure only costs the names
        log.info("no action names for %s: %s", env_id, exc)
        return ()
    try:
        return reported_action_names(env)
    finally:
        env.close()


def _spoken(meaning: str) -> str:
    # ALE writes "UPRIGHTFIRE": split it into the words of its joystick and button.
    words = []
    rest = meaning.upper()
    while rest:
        for word in ("NOOP", "FIRE", "UP", "DOWN", "LEFT", "RIGHT"):
            if rest.startswith(word):
                words.append(word.lower())
                rest = rest[len(word):]
                break
        else:
            return meaning.lower().replace("_", " ")
    return " ".join(words)
