"""Imperfect experts: split a dataset into subsets, clone each, and compare the clones.

Subsets come from the episodes' tags (the `expert` command tags "expert" and "noise=<p>"), their
operator, or their return; `compare_subsets` trains one BC clone per subset with the same
`TrainConfig` (a `SubsetsConfig` holds it) and evaluates every clone on the same seeded
starts. `TransitionSet`, the in-memory labelled states that training reads, also carries
DAgger's and takeover's data.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import gymnasium as gym
import numpy as np

from clonelab.models.data import DatasetLike
from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, TrainProgress, train_bc
from clonelab.recorder.configs import check_counts
from clonelab.recorder.dataset import EpisodeInfo, Transitions
from clonelab.recorder.jobs import CancelCheck, relay
from clonelab.recorder.schema import row_shape

log = logging.getLogger(__name__)

GroupBy = Literal["tag", "noise", "operator", "return"]
GROUP_BY: tuple[GroupBy, ...] = ("tag", "noise", "operator", "return")
NOISE_TAG_PREFIX = "noise="
# Evaluation starts of the clones: far from the seeds the `expert` command records with.
EVAL_SEED = 20_000


class TransitionSet:
    """Labelled states held in memory, readable by `train_bc` like a `DemoDataset`."""

    def __init__(self, *, env_id: str, observation_space: gym.Space, action_space: gym.Space,
                 observations: np.ndarray, actions: np.ndarray, episode_ids: np.ndarray,
                 rewards: np.ndarray | None = None) -> None:
        rows = len(actions)
        if len(observations) != rows or len(episode_ids) != rows:
            raise ValueError(f"{rows} actions need as many observations and episode ids, got "
                             f"{len(observations)} and {len(episode_ids)}")
        self.env_id = env_id
        self.observation_space = observation_space
        self.action_space = action_space
        self.observations = np.asarray(observations, dtype=observation_space.dtype)
        self.actions = np.asarray(actions, dtype=action_space.dtype)
        self.episode_column = np.asarray(episode_ids, dtype=np.int64)
        self.rewards = (np.zeros(rows) if rewards is None else np.asarray(rewards, np.float64))

    @classmethod
    def empty(cls, env_id: str, observation_space: gym.Space,
              action_space: gym.Space) -> TransitionSet:
        """No rows yet, for the given spaces."""
        return cls(env_id=env_id, observation_space=observation_space, action_space=action_space,
                   observations=np.empty((0, *row_shape(observation_space))),
                   actions=np.empty((0, *row_shape(action_space))), episode_ids=np.empty(0))

    @classmethod
    def from_dataset(cls, dataset: DatasetLike,
                     episode_ids: Iterable[int] | None = None) -> TransitionSet:
        """The chosen episodes of a dataset (all by default), read into memory."""
        data = dataset.transitions(None if episode_ids is None else tuple(episode_ids))
        return cls(env_id=dataset.env_id, observation_space=dataset.observation_space,
                   action_space=dataset.action_space, observations=data.observations,
                   actions=data.actions, episode_ids=data.episode_ids, rewards=data.rewards)

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def episode_ids(self) -> tuple[int, ...]:
        """The distinct episode ids, ascending."""
        return tuple(int(e) for e in np.unique(self.episode_column))

    def next_episode_id(self) -> int:
        """An id no row uses yet."""
        return int(self.episode_column.max()) + 1 if len(self) else 0

    def with_rows(self, observations: Any, actions: Any, *, episode_id: int,
                  rewards: Any = None) -> TransitionSet:
        """A new set with the given rows appended under one episode id."""
        count = len(actions)
        added_rewards = np.zeros(count) if rewards is None else rewards
        return TransitionSet(
            env_id=self.env_id, observation_space=self.observation_space,
            action_space=self.action_space,
            observations=np.concatenate([self.observations,
                                         np.asarray(observations)[:count].astype(
                                             self.observations.dtype, copy=False)]),
            actions=np.concatenate([self.actions, np.asarray(actions, self.actions.dtype)]),
            episode_ids=np.concatenate([self.episode_column, np.full(count, episode_id)]),
            rewards=np.concatenate([self.rewards, np.asarray(added_rewards, np.float64)]),
        )

    def take(self, rows: Any) -> TransitionSet:
        """A new set of the given rows (repeats allowed: bootstrap samples)."""
        rows = np.asarray(rows, dtype=np.int64)
        return TransitionSet(env_id=self.env_id, observation_space=self.observation_space,
                             action_space=self.action_space,
                             observations=self.observations[rows], actions=self.actions[rows],
                             episode_ids=self.episode_column[rows], rewards=self.rewards[rows])

    def fingerprint(self) -> str:
        """A short hash of the rows (for checkpoints trained on this set)."""
        digest = hashlib.blake2b(digest_size=8)
        for array in (self.observations, self.actions, self.episode_column):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def transitions(self, episode_ids: Sequence[int] | None = None) -> Transitions:
        """The rows of the chosen episodes (all by default), in stored order."""
        if episode_ids is None:
            chosen = np.arange(len(self))
        else:
            chosen = np.flatnonzero(np.isin(self.episode_column, np.asarray(episode_ids)))
        return Transitions(observations=self.observations[chosen], actions=self.actions[chosen],
                           rewards=self.rewards[chosen], episode_ids=self.episode_column[chosen])


class EpisodeCatalog(Protocol):
    """The part of `DemoDataset` that grouping reads: ids and per-episode summaries."""

    episode_ids: Sequence[int]

    def episode_info(self, episode_id: int) -> EpisodeInfo: ...


def group_episodes(dataset: EpisodeCatalog, by: GroupBy, *,
                   bins: int = 3) -> dict[str, tuple[int, ...]]:
    """Episode ids per subset label, labels in a stable order.

    "tag": one subset per tag (an episode with two tags is in both). "noise": one per
    "noise=<p>" tag, in rising noise. "operator": one per operator ("unknown" when empty).
    "return": `bins` subsets of about equal episode counts, from the lowest returns up.
    """
    infos = [dataset.episode_info(episode_id) for episode_id in dataset.episode_ids]
    if by == "return":
        return _return_bins(infos, bins)
    keys: dict[GroupBy, Callable[[EpisodeInfo], Iterable[str]]] = {
        "tag": lambda info: info.tags,
        "noise": lambda info: [t for t in info.tags if t.startswith(NOISE_TAG_PREFIX)],
        "operator": lambda info: [info.operator or "unknown"],
    }
    if by not in keys:
        raise ValueError(f"cannot group episodes by {by!r}; choose one of {', '.join(GROUP_BY)}")
    groups: dict[str, list[int]] = {}
    for info in infos:
        for label in keys[by](info):
            groups.setdefault(label, []).append(info.episode_id)
    order = sorted(groups, key=_noise_level) if by == "noise" else sorted(groups)
    return {label: tuple(groups[label]) for label in order}


def _noise_level(label: str) -> float:
    try:
        return float(label.removeprefix(NOISE_TAG_PREFIX))
    except ValueError:
        return float("inf")  # a malformed tag sorts last rather than failing the grouping


def _return_bins(infos: Sequence[EpisodeInfo], bins: int) -> dict[str, tuple[int, ...]]:
    if bins <= 0:
        raise ValueError(f"bins must be a positive whole number, got {bins!r}")
    ranked = sorted(infos, key=lambda info: info.episode_return)
    groups = {}
    for part in np.array_split(np.arange(len(ranked)), min(bins, len(ranked))):
        members = [ranked[i] for i in part]
        label = f"return {members[0].episode_return:.4g}..{members[-1].episode_return:.4g}"
        groups[label] = tuple(sorted(info.episode_id for info in members))
    return groups


@dataclass(frozen=True, kw_only=True)
class SubsetOutcome:
    """One subset's data and the evaluation of the clone trained on it."""

    label: str
    episode_ids: tuple[int, ...]
    steps: int
    """Transitions the clone trained on (its validation share included)."""
    demo_return_mean: float
    """Mean return of the subset's own episodes."""
    clone_returns: tuple[float, ...]
    """The clone's returns on the shared evaluation seeds."""

    @property
    def clone_return_mean(self) -> float:
        return float(np.mean(self.clone_returns))

    @property
    def clone_return_std(self) -> float:
        return float(np.std(self.clone_returns))


@dataclass(frozen=True, kw_only=True)
class SubsetComparison:
    """Clones trained on subsets of one dataset; the arrays below make one bar plot."""

    env_id: str
    outcomes: tuple[SubsetOutcome, ...]
    cancelled: bool

    @property
    def labels(self) -> list[str]:
        return [outcome.label for outcome in self.outcomes]

    @property
    def clone_means(self) -> np.ndarray:
        return np.array([outcome.clone_return_mean for outcome in self.outcomes])

    @property
    def clone_stds(self) -> np.ndarray:
        return np.array([outcome.clone_return_std for outcome in self.outcomes])

    @property
    def demo_means(self) -> np.ndarray:
        return np.array([outcome.demo_return_mean for outcome in self.outcomes])


@dataclass(frozen=True, kw_only=True)
class SubsetProgress:
    """Which subset is training, and the training record of its clone."""

    subset: int
    """Index of the subset being trained (0-based)."""
    subsets: int
    label: str
    train: TrainProgress


@dataclass(frozen=True, kw_only=True)
class SubsetsConfig:
    """How the subsets are formed, how each clone trains, and how the clones are evaluated."""

    group_by: GroupBy = "tag"
    """What makes a subset: a tag, a noise level ("noise=<p>" tags), an operator, or a
    band of returns."""
    bins: int = 3
    """Subsets of about equal episode counts, by return (with group_by "return")."""
    train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=2000, log_every=200))
    """The training of every clone (the same for all, so the data alone differs)."""
    eval_episodes: int = 5
    """Episodes each clone plays from the same seeded starts."""
    eval_seed: int = EVAL_SEED
    """Seed of the first evaluation start."""

    def __post_init__(self) -> None:
        if self.group_by not in GROUP_BY:
            raise ValueError(f"SubsetsConfig: group_by must be one of {', '.join(GROUP_BY)}, "
                             f"got {self.group_by!r}")
        check_counts(self, "bins", "eval_episodes")


def compare_subsets(
    config: SubsetsConfig,
    dataset: DatasetLike,
    groups: Mapping[str, Sequence[int]] | None = None,
    *,
    cancel: CancelCheck | None = None,
) -> Generator[SubsetProgress, None, SubsetComparison]:
    """Train a clone per subset (same config) and evaluate each on the same seeded starts.

    The subsets are `groups` when given, else the dataset's episodes grouped by
    `config.group_by`. Yields every training record tagged with its subset; returns a
    `SubsetComparison` of the subsets done (all of them unless `cancel` stopped the run).
    """
    if groups is None:
        groups = group_episodes(dataset, config.group_by, bins=config.bins)  # type: ignore[arg-type]
    subsets = {label: tuple(ids) for label, ids in groups.items() if len(ids)}
    if not subsets:
        raise ValueError("no subset holds an episode; choose another grouping")
    outcomes = []
    cancelled = False
    for index, (label, ids) in enumerate(subsets.items()):
        data = TransitionSet.from_dataset(dataset, ids)

        def progress(record: TrainProgress, index: int = index,
                     label: str = label) -> SubsetProgress:
            return SubsetProgress(subset=index, subsets=len(subsets), label=label, train=record)

        result = yield from relay(train_bc(config.train, data, cancel=cancel), progress)
        if result.cancelled:
            cancelled = True
            break
        scores = evaluate(result.policy, dataset.env_id, episodes=config.eval_episodes,
                          seed=config.eval_seed)
        demo_returns = [float(data.rewards[data.episode_column == i].sum()) for i in ids]
        outcomes.append(SubsetOutcome(label=label, episode_ids=ids, steps=len(data),
                                      demo_return_mean=float(np.mean(demo_returns)),
                                      clone_returns=scores.returns))
        log.info("subset %s: %d steps, clone return %.1f", label, len(data),
                 outcomes[-1].clone_return_mean)
    return SubsetComparison(env_id=dataset.env_id, outcomes=tuple(outcomes), cancelled=cancelled)
