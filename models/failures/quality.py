"""Mixed quality: clones trained on all the demos, on the best half, and on all of them weighted.

An imperfect expert is copied, mistakes and all: BC fits every demo alike. `compare_quality`
trains three clones with one `TrainConfig` (the same seed, steps and network): on every
episode, on the half with the highest returns, and on every episode weighted by return and
tag (models/episode_weights.py); each clone's return is measured as it trains (select_by
"eval_return": its learning curve) and then on the same seeded evaluation starts.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from clonelab.models.episode_weights import RETURN_TEMPERATURE
from clonelab.models.evaluation import evaluate
from clonelab.models.failures.subsets import EVAL_SEED, EpisodeCatalog
from clonelab.models.training import TrainConfig, TrainProgress, train_bc
from clonelab.recorder.configs import check_counts
from clonelab.recorder.episode_selection import EpisodeSubset
from clonelab.recorder.jobs import CancelCheck, relay

__all__ = [
    "ARMS",
    "QualityArm",
    "QualityComparison",
    "QualityConfig",
    "QualityProgress",
    "best_half",
    "compare_quality",
]

log = logging.getLogger(__name__)

ARMS = ("all", "best half", "weighted")


def _default_train() -> TrainConfig:
    # Measured on LunarLander, 3 expert and 6 noisy demos: 800 steps of a 64x64 network
    # separate the three in seconds (docs/failures.md, "Mixed quality").
    return TrainConfig(steps=800, hidden=(64, 64), log_every=100, select_by="eval_return",
                       select_episodes=3)


@dataclass(frozen=True, kw_only=True)
class QualityConfig:
    """How the three clones train, how the weighted one weighs episodes, and the evaluation."""

    train: TrainConfig = field(default_factory=_default_train)
    """The training of every clone (select_by "eval_return" draws the learning curves)."""
    tag_weights: str = ""
    """The weighted clone's weights by tag, such as "expert=1, noisy=0.2" (TrainConfig)."""
    return_temperature: float | None = RETURN_TEMPERATURE
    """The weighted clone's weighting by return (TrainConfig); empty: tags alone."""
    eval_episodes: int = 8
    """Episodes each clone plays from the same seeded starts once trained."""
    eval_seed: int = EVAL_SEED
    """Seed of the first evaluation start."""

    def __post_init__(self) -> None:
        check_counts(self, "eval_episodes")
        try:
            self.weighted_train()
        except ValueError as error:
            reason = str(error).removeprefix("TrainConfig: ")
            raise ValueError(f"QualityConfig: {reason}") from None

    def weighted_train(self) -> TrainConfig:
        """The weighted clone's training: `train` with this config's weights."""
        return dataclasses.replace(self.train, tag_weights=self.tag_weights,
                                   return_temperature=self.return_temperature)


@dataclass(frozen=True, kw_only=True)
class QualityArm:
    """One clone: what it trained on, its learning curve and its evaluation."""

    label: str
    episode_ids: tuple[int, ...]
    curve_steps: tuple[int, ...]
    """Training steps of the learning curve's points."""
    curve_returns: tuple[float, ...]
    """The clone's mean return at those steps (select_by "eval_return"; empty otherwise)."""
    clone_returns: tuple[float, ...]
    """The kept clone's returns on the shared evaluation starts."""

    @property
    def clone_return_mean(self) -> float:
        return float(np.mean(self.clone_returns))


@dataclass(frozen=True, kw_only=True)
class QualityComparison:
    """The clones done (all three unless cancelled), in `ARMS` order."""

    env_id: str
    arms: tuple[QualityArm, ...]
    cancelled: bool
    demo_return_mean: float
    """Mean return of all the demos."""
    best_half_return_mean: float
    """Mean return of the best half."""


@dataclass(frozen=True, kw_only=True)
class QualityProgress:
    """Which clone is training, and its training record."""

    arm: int
    """Index into `ARMS` of the clone being trained."""
    label: str
    train: TrainProgress

    @property
    def fraction(self) -> float:
        """The share of the whole comparison done."""
        return (self.arm + self.train.step / max(1, self.train.total_steps)) / len(ARMS)


def best_half(dataset: EpisodeCatalog) -> tuple[int, ...]:
    """The half of the episodes with the highest returns (the larger half of an odd count),
    ascending ids; ties keep the lower id."""
    ids = list(dataset.episode_ids)
    returns = np.array([dataset.episode_info(i).episode_return for i in ids], dtype=np.float64)
    ranked = np.argsort(-returns, kind="stable")[: (len(ids) + 1) // 2]
    return tuple(sorted(ids[i] for i in ranked))


def compare_quality(config: QualityConfig, dataset: EpisodeCatalog, *,
                    cancel: CancelCheck | None = None,
                    ) -> Generator[QualityProgress, None, QualityComparison]:
    """Train and evaluate the clones of `ARMS` on `dataset` (a `DemoDataset` or an
    `EpisodeSubset`: the episodes' tags and returns are read); yields each clone's training
    records and returns the clones done."""
    ids = tuple(dataset.episode_ids)
    if len(ids) < 2:
        raise ValueError("comparing all with the best half needs at least 2 episodes")
    half = best_half(dataset)
    env_id = EpisodeSubset(dataset, ids).env_id
    returns = {i: dataset.episode_info(i).episode_return for i in ids}
    plans: Sequence[tuple[str, tuple[int, ...], TrainConfig]] = (
        (ARMS[0], ids, config.train),
        (ARMS[1], half, config.train),
        (ARMS[2], ids, config.weighted_train()),
    )
    arms: list[QualityArm] = []
    cancelled = False
    for index, (label, episodes, train) in enumerate(plans):
        data = EpisodeSubset(dataset, episodes)

        def progress(record: TrainProgress, index: int = index,
                     label: str = label) -> QualityProgress:
            return QualityProgress(arm=index, label=label, train=record)

        result = yield from relay(train_bc(train, data, cancel=cancel), progress)
        if result.cancelled:
            cancelled = True
            break
        scores = evaluate(result.policy, env_id, episodes=config.eval_episodes,
                          seed=config.eval_seed)
        curve = [r for r in result.history if r.eval_return is not None]
        arms.append(QualityArm(label=label, episode_ids=episodes,
                               curve_steps=tuple(r.step for r in curve),
                               curve_returns=tuple(float(r.eval_return or 0.0) for r in curve),
                               clone_returns=scores.returns))
        log.info("mixed quality, %s: %d episodes, clone return %.1f", label, len(episodes),
                 arms[-1].clone_return_mean)
    return QualityComparison(
        env_id=env_id, arms=tuple(arms), cancelled=cancelled,
        demo_return_mean=float(np.mean(list(returns.values()))),
        best_half_return_mean=float(np.mean([returns[i] for i in half])))
