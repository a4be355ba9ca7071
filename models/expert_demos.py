"""Scripted-expert demonstrations: `recorder.experts` played through a `PlaySession`.

Each episode is `play_episode` under `Solo(expert)`, reset with its own seed (the expert's noise
is re-seeded with it), so the same seeds give the same episodes. Tests, tools and benchmarks
record their expert demos here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

from clonelab.models.failures.takeover import Solo, play_episode
from clonelab.recorder.catalog import make_env
from clonelab.recorder.configs import check_counts
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode import EpisodeData
from clonelab.recorder.experts import LaggedExpert, make_expert
from clonelab.recorder.experts.base import ScriptedExpert
from clonelab.recorder.experts.lagged import check_lag
from clonelab.recorder.session import PlaySession

__all__ = ["ExpertConfig", "expert_episodes", "record_expert"]


@dataclass(frozen=True, kw_only=True)
class ExpertConfig:
    """Scripted-expert demos to record (`clonelab expert`'s flags come from these fields)."""

    episodes: int
    """Episodes to record; episode i is reset with seed + i."""
    seed: int = 0
    """Reset seed of the first episode (each episode's seed also seeds the expert's noise)."""
    noise: float = 0.0
    """Probability of a random action at each step (an imperfect expert)."""
    clean_labels: bool = False
    """Record the expert's own choice, not the random action noise played instead (DART,
    Laskey et al. 2017): the demos visit the states a clone's slips lead to and show the way
    back, without the slips. With noise 0 it changes nothing."""
    max_steps: int | None = None
    """Cut every episode at this many steps, as truncated (None: the env's own limit)."""
    lag: int = 0
    """Reaction lag in steps: the expert acts on the observation from this many steps ago, as
    a person reacting late would (the first steps of an episode answer its first
    observation); 0 reacts at once. Experts that read the game's state (Atari, MiniGrid)
    cannot be lagged."""

    def __post_init__(self) -> None:
        check_counts(self, "episodes", optional=("max_steps",))
        try:
            check_lag(self.lag)
        except ValueError as error:
            raise ValueError(f"ExpertConfig: {error}") from None
        if not 0.0 <= self.noise <= 1.0:
            raise ValueError(f"ExpertConfig: noise must lie in [0, 1] (0: a perfect expert), "
                             f"got {self.noise!r}")

    @property
    def seeds(self) -> range:
        """The episodes' reset seeds."""
        return range(self.seed, self.seed + self.episodes)

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags each recorded episode gets: "expert", its noise, "clean-labels" when noise
        was played but the expert's choices recorded, and any lag ("lag=5")."""
        return (("expert", f"noise={self.noise:g}")
                + (("clean-labels",) if self.clean_labels and self.noise else ())
                + ((f"lag={self.lag}",) if self.lag else ()))


def expert_episodes(env_id: str, seeds: Iterable[int], *, noise: float = 0.0,
                    clean_labels: bool = False, max_steps: int | None = None, lag: int = 0,
                    env_kwargs: Mapping[str, Any] | None = None) -> Iterator[EpisodeData]:
    """One expert episode of `env_id` per reset seed, each cut at `max_steps` (as truncated).

    `noise` is the expert's chance of a random action (recorded as played, or with
    `clean_labels` as the expert's own choice at that step), `lag` its reaction lag in steps
    (`recorder.experts.LaggedExpert`); `env_kwargs` build a variant of the env (the episodes
    keep the plain env id). Raises `recorder.experts.ExpertError` for an env without a
    scripted expert, `ValueError` for a lag its expert cannot have.
    """
    env = make_env(env_id, **dict(env_kwargs or {}))
    try:
        expert = _solo(env, noise, lag, clean_labels)
        yield from _play(env, env_id, expert, seeds, max_steps)
    finally:
        env.close()


def record_expert(path: Path, env_id: str, *, seeds: Iterable[int], noise: float = 0.0,
                  clean_labels: bool = False, max_steps: int | None = None, lag: int = 0,
                  tags: Iterable[str] = ("expert",), operator: str = "scripted expert",
                  env_kwargs: Mapping[str, Any] | None = None) -> DemoDataset:
    """A new dataset at `path` holding `expert_episodes(env_id, seeds, ...)`, each with `tags`.

    An env without a scripted expert raises `ExpertError`, a lag its expert cannot have
    `ValueError`, before the dataset is created.
    """
    labels = tuple(tags)
    env = make_env(env_id, **dict(env_kwargs or {}))
    try:
        expert = _solo(env, noise, lag, clean_labels)
        dataset = DemoDataset.create(path, env_id=env_id, observation_space=env.observation_space,
                                     action_space=env.action_space, operator=operator)
        for episode in _play(env, env_id, expert, seeds, max_steps):
            dataset.append(episode, tags=labels)
    finally:
        env.close()
    return dataset


def _solo(env: gym.Env, noise: float, lag: int, clean_labels: bool) -> Solo:
    expert = make_expert(env, noise=noise)
    source = LaggedExpert(expert, lag) if lag else expert
    return Solo(source, actor="expert", device="script",
                teacher=_OwnChoice(expert) if clean_labels else None)


class _OwnChoice:
    """The label of a clean-labelled step: what the expert chose at its last `act`, before
    noise could replace it (an `ActionSource` that only reads it)."""

    def __init__(self, expert: ScriptedExpert) -> None:
        self.expert = expert

    def reset(self, seed: int | None = None) -> None:
        """Nothing to forget: the expert itself is reset as the player."""

    def act(self, observation: Any) -> Any:
        return self.expert.choice


def _play(env: gym.Env, env_id: str, expert: Solo, seeds: Iterable[int],
          max_steps: int | None) -> Iterator[EpisodeData]:
    session = PlaySession(env, env_id=env_id)
    for seed in seeds:
        played = play_episode(session, expert, seed=seed, max_steps=max_steps)
        yield played.labelled() if expert.teacher is not None else played.episode
