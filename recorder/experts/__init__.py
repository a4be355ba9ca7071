"""Scripted experts: `make_expert(env)` picks one by the env's id (`env.spec.id`).

One module per env family; each expert is an `ActionSource` with a `noise` knob for imperfect
demonstrations on purpose.
"""

from __future__ import annotations

import gymnasium

from clonelab.recorder.experts.atari import BreakoutExpert, PongExpert
from clonelab.recorder.experts.base import ScriptedExpert
from clonelab.recorder.experts.classic import (
    AcrobotExpert,
    CartPoleExpert,
    MountainCarContinuousExpert,
    MountainCarExpert,
    PendulumExpert,
)
from clonelab.recorder.experts.grid_world import MiniGridExpert
from clonelab.recorder.experts.lagged import LaggedExpert
from clonelab.recorder.experts.lunar_lander import LunarLanderExpert
from clonelab.recorder.experts.maze import PointMazeExpert
from clonelab.recorder.maze_envs import TWO_WAYS_ID

_EXPERTS: dict[str, type[ScriptedExpert]] = {
    "CartPole-v1": CartPoleExpert,
    "MountainCar-v0": MountainCarExpert,
    "MountainCarContinuous-v0": MountainCarContinuousExpert,
    "Acrobot-v1": AcrobotExpert,
    "Pendulum-v1": PendulumExpert,
    "LunarLander-v3": LunarLanderExpert,
    "LunarLanderContinuous-v3": LunarLanderExpert,
    "MiniGrid-Empty-5x5-v0": MiniGridExpert,
    "MiniGrid-Empty-8x8-v0": MiniGridExpert,
    "MiniGrid-DoorKey-5x5-v0": MiniGridExpert,
    "ALE/Pong-v5": PongExpert,
    "ALE/Breakout-v5": BreakoutExpert,
    TWO_WAYS_ID: PointMazeExpert,
}
EXPERT_ENV_IDS: tuple[str, ...] = tuple(_EXPERTS)


class ExpertError(LookupError):
    """No scripted expert exists for an env."""


def has_expert(env_id: str) -> bool:
    """Whether `make_expert` has an expert for `env_id`."""
    return env_id in _EXPERTS


def make_expert(
    env: gymnasium.Env, *, noise: float = 0.0, seed: int | None = None
) -> ScriptedExpert:
    """The scripted expert for `env` (wrapped or not), taking random actions with prob. `noise`.

    Raises `ExpertError` for envs without one."""
    env_id = env.spec.id if env.spec is not None else None
    if env_id not in _EXPERTS:
        raise ExpertError(
            f"no scripted expert for {env_id or 'an env without a registered id'}; "
            f"experts exist for {', '.join(EXPERT_ENV_IDS)}"
        )
    return _EXPERTS[env_id](env, noise=noise, seed=seed)


__all__ = ["EXPERT_ENV_IDS", "ExpertError", "LaggedExpert", "ScriptedExpert", "has_expert",
           "make_expert"]
