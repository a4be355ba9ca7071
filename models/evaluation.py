"""Evaluating a policy: seeded episodes in parallel envs with one batched forward per step."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from clonelab.models.observations import ObservationHistory, PipelineError
from clonelab.models.policy import Policy
from clonelab.recorder.configs import check_counts
from clonelab.recorder.schema import row_shape

log = logging.getLogger(__name__)

# Episodes run side by side; more costs memory (image envs) and gains little on 2 cores.
MAX_PARALLEL_ENVS = 16


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """Seeded evaluation episodes of a policy (`evaluate(policy, env_id, **asdict(config))`)."""

    episodes: int = 20
    """Episodes to play; episode i is reset with seed + i."""
    seed: int = 0
    """Reset seed of the first episode; it also seeds stochastic action draws."""
    deterministic: bool = True
    """Take the argmax (Discrete) or mu (Box) action; --no-deterministic samples instead."""
    max_steps: int | None = None
    """Cut every episode at this many steps (None: the env's own limit)."""

    def __post_init__(self) -> None:
        check_counts(self, "episodes", optional=("max_steps",))


@dataclass(frozen=True, kw_only=True)
class EvalResult:
    """Returns and lengths of seeded evaluation episodes (episode i is reset with seed + i)."""

    env_id: str
    episodes: int
    seed: int
    deterministic: bool
    returns: tuple[float, ...]
    lengths: tuple[int, ...]
    return_mean: float
    return_std: float
    length_mean: float


def check_fits(policy: Policy, env_id: str, observation_space: gym.Space,
               action_space: gym.Space) -> None:
    """Raise ValueError unless the env's spaces have the shapes the policy was built for."""
    spec = policy.spec
    problems = []
    # Dict observations compare as the flat vectors the policy reads.
    if row_shape(observation_space) != row_shape(spec.observation_space):
        problems.append(f"observations {row_shape(observation_space)} vs "
                        f"{row_shape(spec.observation_space)}")
    if type(action_space) is not type(spec.action_space) or (
        action_space.shape != spec.action_space.shape
        or getattr(action_space, "n", None) != getattr(spec.action_space, "n", None)
    ):
        problems.append(f"actions {action_space} vs {spec.action_space}")
    if not problems:
        try:
            spec.pipeline.frame_shape(observation_space)
        except PipelineError as error:
            problems.append(f"its preprocessing ({spec.pipeline.describe()}): {error}")
    if problems:
        raise ValueError(f"the policy trained on {spec.env_id} does not fit {env_id}: "
                         + "; ".join(problems))


def evaluate(
    policy: Policy,
    env_id: str,
    *,
    episodes: int,
    seed: int,
    deterministic: bool = True,
    max_steps: int | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
) -> EvalResult:
    """Run `episodes` episodes of `env_id` (built by `recorder.catalog.make_env`).

    Episode i is reset with seed `seed + i`, so two policies evaluated with the same seed face
    the same starts. `max_steps` cuts episodes short (counted as they stand). Stochastic action
    draws come from a generator seeded with `seed`. `env_kwargs` go to `make_env` (a variant
    of the env, such as MiniGrid's random start positions).
    """
    from clonelab.recorder.catalog import (
        make_env,  # the catalog registers ALE and MiniGrid when imported
    )

    if episodes <= 0:
        raise ValueError(f"episodes must be a positive whole number, got {episodes}")
    generator = torch.Generator(device=policy.device).manual_seed(seed)
    returns = np.zeros(episodes, dtype=np.float64)
    lengths = np.zeros(episodes, dtype=np.int64)
    for first in range(0, episodes, MAX_PARALLEL_ENVS):
        count = min(MAX_PARALLEL_ENVS, episodes - first)
        envs = SyncVectorEnv(
            [functools.partial(make_env, env_id, **(env_kwargs or {})) for _ in range(count)],
            autoreset_mode=AutoresetMode.NEXT_STEP,
        )
        try:
            check_fits(policy, env_id, envs.single_observation_space, envs.single_action_space)
            chunk = slice(first, first + count)
            returns[chunk], lengths[chunk] = _run(
                policy, envs, [seed + first + i for i in range(count)],
                deterministic=deterministic, max_steps=max_steps, generator=generator,
            )
        finally:
            envs.close()
    log.info("evaluated %s on %s: return %.2f +- %.2f over %d episodes", policy.spec.env_id,
             env_id, returns.mean(), returns.std(), episodes)
    return EvalResult(
        env_id=env_id,
        episodes=episodes,
        seed=seed,
        deterministic=deterministic,
        returns=tuple(float(r) for r in returns),
        lengths=tuple(int(n) for n in lengths),
        return_mean=float(returns.mean()),
        return_std=float(returns.std()),
        length_mean=float(lengths.mean()),
    )


@torch.inference_mode()
def _run(
    policy: Policy,
    envs: SyncVectorEnv,
    seeds: list[int | None],
    *,
    deterministic: bool,
    max_steps: int | None,
    generator: torch.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One episode per sub-env; a sub-env that finished is ignored until all have.

    Each sub-env keeps its own observation history (the policy's pipeline), started afresh
    with every episode, the one autoreset begins after a finish included.
    """
    count = len(seeds)
    returns = np.zeros(count, dtype=np.float64)
    lengths = np.zeros(count, dtype=np.int64)
    done = np.zeros(count, dtype=bool)
    history = ObservationHistory(policy.spec.pipeline, envs.single_observation_space,
                                 policy.device)
    observations, _ = envs.reset(seed=seeds)
    restarted, just_finished = np.ones(count, dtype=bool), np.zeros(count, dtype=bool)
    while not done.all():
        inputs = history.push(observations, restarted)
        actions = policy.act(inputs, deterministic=deterministic, generator=generator)
        observations, rewards, terminated, truncated, _ = envs.step(actions.cpu().numpy())
        # With next-step autoreset a finished sub-env spends the next step resetting; the
        # mask keeps that reset step (and the episode after it) out of the totals.
        active = ~done
        returns[active] += rewards[active]
        lengths[active] += 1
        # Next-step autoreset: the step after a finish returns the new episode's first
        # observation, so the flag reaches the history one step late.
        restarted, just_finished = just_finished, terminated | truncated
        finished = terminated | truncated
        if max_steps is not None:
            finished |= lengths >= max_steps
        done |= finished & active
    return returns, lengths
