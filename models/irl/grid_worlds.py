"""The grid worlds MaxEnt IRL runs in, and their demos: from the scripted expert or a dataset.

Both the `clonelab irl --method maxent` command and the Inverse RL tab take their demos here, so
they accept the same datasets (a MiniGrid room or FrozenLake) with the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from clonelab.models.irl import IRLError
from clonelab.models.irl.tabular import (
    TabularMDP,
    dataset_demos,
    frozen_lake_demos,
    frozen_lake_mdp,
    minigrid_demos,
    minigrid_mdp,
)


@dataclass(frozen=True, kw_only=True)
class GridWorld:
    """A world the scripted expert can demonstrate in: an env id and the kwargs it is built with."""

    title: str
    env_id: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    def make(self) -> gym.Env:
        """Build the env."""
        from clonelab.recorder.catalog import make_env

        return make_env(self.env_id, **dict(self.kwargs))


WORLDS = (
    GridWorld(title="FrozenLake 4x4", env_id="FrozenLake-v1",
              kwargs=(("is_slippery", False), ("map_name", "4x4"))),
    GridWorld(title="FrozenLake 8x8", env_id="FrozenLake-v1",
              kwargs=(("is_slippery", False), ("map_name", "8x8"))),
    # Random start cells and headings, so that the demos cover many states.
    GridWorld(title="MiniGrid empty room 5x5", env_id="MiniGrid-Empty-5x5-v0",
              kwargs=(("agent_start_pos", None),)),
    GridWorld(title="MiniGrid empty room 8x8", env_id="MiniGrid-Empty-8x8-v0",
              kwargs=(("agent_start_pos", None),)),
)


def is_frozen_lake(env: gym.Env) -> bool:
    """Whether `env` is FrozenLake (its observation is the state index)."""
    return hasattr(env.unwrapped, "desc") and hasattr(env.unwrapped, "P")


def check_grid_world(env: gym.Env) -> None:
    """Raise `IRLError` unless `env` is a MiniGrid room or FrozenLake (what MaxEnt here takes)."""
    if is_frozen_lake(env) or (env.spec is not None and "MiniGrid" in env.spec.id):
        return
    name = env.spec.id if env.spec is not None else str(env)
    raise IRLError(f"{name}: MaxEnt IRL here is tabular and needs a MiniGrid room or "
                   "FrozenLake; use AIRL or GAIL (--method airl or gail) for vector envs")


def expert_demos(env: gym.Env, *, episodes: int, seed: int) -> tuple[TabularMDP, list]:
    """The world's MDP and `episodes` demos of its scripted expert (the optimal policy on
    FrozenLake)."""
    from clonelab.recorder.experts import make_expert

    check_grid_world(env)
    env.reset(seed=seed)
    if is_frozen_lake(env):
        mdp = frozen_lake_mdp(env)
        return mdp, frozen_lake_demos(env, mdp, episodes=episodes, seed=seed)
    mdp = minigrid_mdp(env)
    expert = make_expert(env, seed=seed)
    return mdp, minigrid_demos(env, mdp, lambda: expert.act(None), episodes=episodes, seed=seed)


def recorded_demos(env: gym.Env, episodes: list, *, env_id: str, seed: int
                   ) -> tuple[TabularMDP, list]:
    """The world's MDP and the recorded `episodes` as state paths."""
    check_grid_world(env)
    if not episodes:
        raise IRLError(f"dataset for {env_id} has no episodes; record some first")
    env.reset(seed=seed)
    if is_frozen_lake(env):
        # FrozenLake's observation is the state index itself.
        return frozen_lake_mdp(env), [np.asarray(e.observations, dtype=np.int64)
                                      for e in episodes]
    mdp = minigrid_mdp(env)
    return mdp, dataset_demos(env, mdp, episodes)
