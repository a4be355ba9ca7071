"""An ensemble of BC policies: where its members disagree, the demos did not teach them.

K clones train with different seeds, each on a bootstrap sample of the demo rows. Their
disagreement on a state is the mean total-variation distance between the members' action
distributions (Discrete) or the variance of their mean actions, scaled to [-1, 1] (Box). Some
demo episodes are held out of every member to calibrate that disagreement (`models.failures.ood`),
so a
threshold of 1 means "more disagreement than on 95% of held-out demo states".
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from clonelab.models.data import DatasetLike, split_rows
from clonelab.models.failures.ood import (
    DEFAULT_HOLDOUT,
    DEFAULT_QUANTILE,
    CalibratedScore,
    calibrate,
)
from clonelab.models.failures.subsets import TransitionSet
from clonelab.models.observations import episode_inputs
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig, TrainProgress, TrainResult, train_bc
from clonelab.recorder.dict_observations import flatten_observation
from clonelab.recorder.jobs import CancelCheck, relay
from clonelab.recorder.schema import row_shape

log = logging.getLogger(__name__)

# Rows per forward pass over all members (bounded memory for image batches).
CHUNK = 1024


class Ensemble:
    """K policies of one env acting as one: mean distribution (Discrete) or mean mu (Box).

    It is an `ActionSource` (`reset`, `act`) and a `models.failures.ood.StateScorer` (`raw_scores`
    is the
    disagreement).
    """

    def __init__(self, members: Sequence[Policy]) -> None:
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
        specs = {(m.spec.env_id, str(m.spec.observation_space), str(m.spec.action_space),
                  m.spec.pipeline) for m in members}
        if len(specs) != 1:
            raise ValueError("ensemble members must share one env, its spaces and their "
                             "preprocessing")
        if members[0].spec.pipeline.history > 1:
            # Its states are scored one at a time, out of their episodes.
            raise ValueError("ensemble members read one observation per state; train them "
                             "with a history of 1")
        self.members = tuple(member.eval() for member in members)

    @property
    def spec(self) -> PolicySpec:
        return self.members[0].spec

    @torch.inference_mode()
    def _heads(self, observations: Any) -> torch.Tensor:
        """(K, B, n) probabilities (Discrete) or (K, B, D) mu scaled to [-1, 1] (Box)."""
        outputs = []
        batch = episode_inputs(self.spec.pipeline, np.asarray(observations),
                               np.arange(len(observations))).to(self.members[0].device)
        for member in self.members:
            if self.spec.action_kind == "discrete":
                outputs.append(member.action_probabilities(batch))
            else:
                outputs.append(member.head.mode(member.features(batch)))
        return torch.stack(outputs).cpu()

    def _chunks(self, observations: Any) -> list[torch.Tensor]:
        observations = np.asarray(observations)
        return [self._heads(observations[start : start + CHUNK])
                for start in range(0, len(observations), CHUNK)]

    def actions(self, observations: Any) -> np.ndarray:
        """The ensemble's env action for each row of a batch."""
        chunks = []
        for heads in self._chunks(observations):
            if self.spec.action_kind == "discrete":
                chunks.append(heads.mean(dim=0).argmax(dim=-1) + self.members[0].action_start)
            else:
                chunks.append(self.members[0].to_env_units(heads.mean(dim=0)))
        if not chunks:
            return np.zeros((0, *row_shape(self.spec.action_space)), self.spec.action_space.dtype)
        return torch.cat(chunks).numpy().astype(self.spec.action_space.dtype, copy=False)

    def disagreement(self, observations: Any) -> np.ndarray:
        """(B,) mean pairwise total variation (Discrete) or mean variance of mu (Box)."""
        scores = []
        for heads in self._chunks(observations):
            if self.spec.action_kind == "discrete":
                pairs = (heads[:, None] - heads[None, :]).abs().sum(dim=-1) / 2  # (K, K, B)
                k = len(self.members)
                scores.append(pairs.sum(dim=(0, 1)) / (k * (k - 1)))
            else:
                scores.append(heads.var(dim=0, unbiased=False).mean(dim=-1))
        return torch.cat(scores).double().numpy() if scores else np.zeros(0)

    def raw_scores(self, observations: Any) -> np.ndarray:
        """The disagreement, as a `StateScorer` for `models.failures.ood.calibrate`."""
        return self.disagreement(observations)

    def reset(self, seed: int | None = None) -> None:
        """Nothing to reset: the ensemble acts deterministically."""

    def act(self, observation: Any) -> int | np.ndarray:
        """The env action for one observation."""
        action = self.actions(flatten_observation(self.spec.observation_space,
                                                  observation)[None])[0]
        return int(action) if self.spec.action_kind == "discrete" else action


@dataclass(frozen=True, kw_only=True)
class EnsembleConfig:
    """How to train an ensemble; each member trains with `train` and its own seed."""

    members: int = 5
    """K, the number of policies."""
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    """The training of each member; member i uses seed `train.seed + i`."""
    bootstrap: bool = True
    """Train each member on a bootstrap sample (rows drawn with replacement) of the demos."""
    holdout_fraction: float = DEFAULT_HOLDOUT
    """Share of demo episodes (the tail of a single episode) kept from every member to
    calibrate the disagreement."""
    quantile: float = DEFAULT_QUANTILE
    """The held-out quantile that a calibrated disagreement of 1 stands for."""

    def __post_init__(self) -> None:
        if not isinstance(self.members, int) or self.members < 2:
            raise ValueError(f"EnsembleConfig: members must be 2 or more, got {self.members!r}")
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ValueError(f"EnsembleConfig: holdout_fraction must lie in (0, 1), "
                             f"got {self.holdout_fraction!r}")


@dataclass(frozen=True, kw_only=True)
class EnsembleProgress:
    """The training record of one member."""

    member: int
    """Index of the member training now (0-based)."""
    members: int
    train: TrainProgress


@dataclass(frozen=True, kw_only=True)
class EnsembleResult:
    """A trained ensemble and its calibrated disagreement score."""

    ensemble: Ensemble | None
    """None when cancelled before two members finished."""
    disagreement: CalibratedScore | None
    """The ensemble's disagreement, calibrated on the held-out demo rows (threshold 1)."""
    members: tuple[TrainResult, ...]
    calibration_rows: int
    cancelled: bool


def train_ensemble(config: EnsembleConfig, dataset: DatasetLike, *,
                   held_out: np.ndarray | None = None, cancel: CancelCheck | None = None
                   ) -> Generator[EnsembleProgress, None, EnsembleResult]:
    """Train `config.members` BC policies, yielding each member's training records.

    Returns an `EnsembleResult` (as StopIteration.value). The disagreement is calibrated on
    `held_out` demo observations when given (every row of `dataset` then trains), else on
    `config.holdout_fraction` of the dataset's episodes, kept from every member.
    """
    # Members score states one at a time, out of their episodes (and bootstrap samples break
    # episodes up): they read no history, whatever the env's default.
    if config.train.history is not None and config.train.history > 1:
        raise ValueError(f"ensemble members read one observation per state; set history to 1 "
                         f"(got {config.train.history})")
    train = dataclasses.replace(config.train, history=1)
    data = dataset if isinstance(dataset, TransitionSet) else TransitionSet.from_dataset(dataset)
    if held_out is None:
        split = split_rows(data.episode_column, config.holdout_fraction, config.train.seed)
        training, held_out = data.take(split.train_rows), data.observations[split.val_rows]
    else:
        training = data
    if len(held_out) == 0:
        raise ValueError("an ensemble needs held-out demo states to calibrate on; record at "
                         "least two demo states")
    rng = np.random.default_rng(config.train.seed)
    results: list[TrainResult] = []
    for member in range(config.members):
        rows = (rng.integers(0, len(training), len(training)) if config.bootstrap
                else np.arange(len(training)))
        member_config = dataclasses.replace(train, seed=train.seed + member)

        def progress(record: TrainProgress, member: int = member) -> EnsembleProgress:
            return EnsembleProgress(member=member, members=config.members, train=record)

        result = yield from relay(
            train_bc(member_config, training.take(np.sort(rows)), cancel=cancel), progress)
        if result.cancelled:
            break
        results.append(result)
    if len(results) < 2:
        return EnsembleResult(ensemble=None, disagreement=None, members=tuple(results),
                              calibration_rows=len(held_out), cancelled=True)
    ensemble = Ensemble([result.policy for result in results])
    log.info("trained an ensemble of %d on %d rows, calibrating on %d", len(results),
             len(training), len(held_out))
    return EnsembleResult(ensemble=ensemble,
                          disagreement=calibrate(ensemble, held_out, quantile=config.quantile),
                          members=tuple(results), calibration_rows=len(held_out),
                          cancelled=len(results) < config.members)
