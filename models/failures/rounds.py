"""Rounds of ask-for-help DAgger, headless: play with the gate, aggregate, retrain, repeat.

Each round trains an ensemble on the demos plus every human label so far, plays episodes in
which the ensemble acts and asks for help when its calibrated disagreement passes the
threshold (`models.failures.takeover.AskForHelp`), and keeps the human's actions at the intervention
steps as new labels. As the ensemble learns the states it asked about, it asks less: the
requests per episode fall from round to round. The app runs the same steps with a person at the
keyboard; here a `ScriptedHuman` (or any `Human`) answers, so tests and benches run whole rounds.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Literal

import gymnasium as gym
import numpy as np

from clonelab.models.data import DatasetLike, split_rows
from clonelab.models.failures.ensemble import (
    Ensemble,
    EnsembleConfig,
    EnsembleProgress,
    EnsembleResult,
    train_ensemble,
)
from clonelab.models.failures.ood import CalibratedScore, NearestNeighbourScorer, calibrate
from clonelab.models.failures.subsets import TransitionSet
from clonelab.models.failures.takeover import DEFAULT_AGREE_STEPS, AskForHelp, Human, play_episode
from clonelab.recorder.catalog import make_env
from clonelab.recorder.configs import check_counts
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import CancelCheck, cancel_check, drain
from clonelab.recorder.session import PlaySession

log = logging.getLogger(__name__)

SEED_STRIDE = 1_000_000
"""Seeds of two runs stay apart: see `episode_seed`."""
DATA_TAG = "ask-for-help"

Risk = Literal["ood", "disagreement", "both"]


def episode_seed(seed: int, round_index: int, episode: int) -> int:
    """The reset seed of episode `episode` of round `round_index` in a run seeded `seed`."""
    return seed * SEED_STRIDE + round_index * 1000 + episode


@dataclass(frozen=True, kw_only=True)
class RoundsConfig:
    """Rounds of ask-for-help: how many, how long, and the gate's settings."""

    rounds: int = 4
    """Rounds to play; the clone is retrained after each."""
    episodes_per_round: int = 3
    """Episodes played between two retrainings."""
    ensemble: EnsembleConfig = dataclasses.field(default_factory=EnsembleConfig)
    """The ensemble retrained every round (on the demos and all human labels so far)."""
    risk: Risk = "ood"
    """What asks for help: "ood" (distance to the demos and the human labels so far),
    "disagreement" (the ensemble's), or "both" (whichever is higher). On bang-bang control
    such as CartPole's the members disagree right at every switching point, on familiar states
    too, so disagreement keeps asking there; see docs/failures.md."""
    threshold: float = 1.0
    """Ask for help when the calibrated risk exceeds this."""
    agree_steps: int = DEFAULT_AGREE_STEPS
    """Hand back after this many agreeing, calm steps running."""
    max_episode_steps: int | None = None
    """Episodes are cut (truncated) after this many steps (None: the env's own limit)."""
    seed: int = 0
    """Seeds the episode starts (see `episode_seed`)."""

    def __post_init__(self) -> None:
        check_counts(self, "rounds", "episodes_per_round", "agree_steps",
                     optional=("max_episode_steps",))
        if self.risk not in ("ood", "disagreement", "both"):
            raise ValueError(f"RoundsConfig: risk must be ood, disagreement or both, "
                             f"got {self.risk!r}")
        if not self.threshold > 0:
            raise ValueError(f"RoundsConfig: threshold must be positive (1 is the held-out "
                             f"demos' quantile), got {self.threshold!r}")


@dataclass(frozen=True, kw_only=True)
class RoundProgress:
    """One round played: requests, interventions and returns per episode."""

    round: int
    rounds: int
    requests: tuple[int, ...]
    """Help requests in each episode of the round."""
    intervention_steps: tuple[int, ...]
    returns: tuple[float, ...]
    labels: int
    """Human labels aggregated so far (all rounds)."""

    @property
    def requests_per_episode(self) -> float:
        return float(np.mean(self.requests))


@dataclass(frozen=True, kw_only=True)
class RoundsResult:
    """The rounds played, the last ensemble trained and the aggregated data."""

    history: tuple[RoundProgress, ...]
    model: RoundModel | None
    """The ensemble and scores of the last round played (None when cancelled before any)."""
    data: TransitionSet
    """The demos' training rows plus every human label."""
    cancelled: bool


@dataclass(frozen=True, kw_only=True, eq=False)
class DemoSplit:
    """The demo rows that train, and the held-out demo states that calibrate every score."""

    training: TransitionSet
    held_out: np.ndarray


def split_demos(demos: DatasetLike, config: EnsembleConfig) -> DemoSplit:
    """Hold out `config.holdout_fraction` of the demo episodes (seeded by the training seed)."""
    rows = TransitionSet.from_dataset(demos)
    split = split_rows(rows.episode_column, config.holdout_fraction, config.train.seed)
    return DemoSplit(training=rows.take(split.train_rows),
                     held_out=rows.observations[split.val_rows])


@dataclass(frozen=True, kw_only=True, eq=False)
class RoundModel:
    """What plays a round: the ensemble, and the calibrated risk scores its gate checks."""

    ensemble: Ensemble
    scores: tuple[CalibratedScore, ...]
    trained: EnsembleResult


def risk_scores(risk: Risk, disagreement: CalibratedScore, data: TransitionSet,
                held_out: np.ndarray, *,
                first: Sequence[CalibratedScore] = ()) -> list[CalibratedScore]:
    """The gate's scores; the OOD one measures the distance to every labelled state so far.

    With `first` (the first round's scores) their scales are kept: "1" keeps meaning the first
    round's familiarity, so new labels can only lower the scores (recalibrating against the
    growing data would tighten the threshold as fast as the labels loosen it).
    """
    scores = []
    if risk in ("disagreement", "both"):
        scores.append(disagreement)
    if risk in ("ood", "both"):
        scores.append(calibrate(NearestNeighbourScorer(data.observations), held_out,
                                quantile=disagreement.quantile))
    if first:
        scores = [CalibratedScore(score.scorer, kept.scale, kept.quantile)
                  for score, kept in zip(scores, first, strict=True)]
    return scores


def train_round(config: EnsembleConfig, risk: Risk, data: TransitionSet, held_out: np.ndarray,
                *, first: Sequence[CalibratedScore] = (), cancel: CancelCheck | None = None
                ) -> Generator[EnsembleProgress, None, RoundModel | None]:
    """Train the round's ensemble on `data` and build its risk scores (None when cancelled).

    The app's retraining between takeover rounds and `help_rounds` both run this step.
    """
    trained = yield from train_ensemble(config, data, held_out=held_out, cancel=cancel)
    if trained.ensemble is None or trained.disagreement is None or trained.cancelled:
        return None
    scores = risk_scores(risk, trained.disagreement, data, held_out, first=first)
    return RoundModel(ensemble=trained.ensemble, scores=tuple(scores), trained=trained)


def help_rounds(
    config: RoundsConfig,
    demos: DatasetLike,
    make_human: Callable[[gym.Env], Human],
    *,
    record_to: DemoDataset | None = None,
    cancel: CancelCheck | None = None,
) -> Generator[RoundProgress, None, RoundsResult]:
    """Run the rounds, yielding a `RoundProgress` after each; returns a `RoundsResult`.

    `make_human(env)` builds the human for the env the rounds play in (a `ScriptedHuman` around
    `recorder.experts.make_expert(env)` in tests). The risk scores are calibrated once, in round
    0, on demo episodes held out of all training; later rounds keep those scales. With
    `record_to`, every played episode is committed with tags "ask-for-help" and "round=<r>".
    """
    stop = cancel_check(cancel)
    split = split_demos(demos, config.ensemble)
    data = split.training
    env = make_env(demos.env_id)
    history: list[RoundProgress] = []
    model: RoundModel | None = None
    first: tuple[CalibratedScore, ...] = ()
    try:
        human = make_human(env)
        session = PlaySession(env, env_id=demos.env_id)
        for round_index in range(config.rounds):
            if stop():
                break
            model = drain(train_round(config.ensemble, config.risk, data,
                                                  split.held_out, first=first, cancel=cancel))
            if model is None:
                break
            first = first or model.scores
            gate = AskForHelp(model.ensemble, human, model.scores,
                              action_space=env.action_space, threshold=config.threshold,
                              agree_steps=config.agree_steps, human_device=human.device)
            requests, steps, returns = [], [], []
            for episode in range(config.episodes_per_round):
                played = play_episode(
                    session, gate, max_steps=config.max_episode_steps,
                    seed=episode_seed(config.seed, round_index, episode),
                )
                helped = played.interventions
                data = data.with_rows(played.episode.observations[:-1][helped],
                                      played.labels[helped], episode_id=data.next_episode_id())
                if record_to is not None:
                    record_to.append(played.episode, tags=(DATA_TAG, f"round={round_index}"))
                requests.append(played.requests)
                steps.append(int(helped.sum()))
                returns.append(played.episode.episode_return)
            record = RoundProgress(round=round_index, rounds=config.rounds,
                                   requests=tuple(requests), intervention_steps=tuple(steps),
                                   returns=tuple(returns),
                                   labels=len(data) - len(split.training))
            history.append(record)
            log.info("round %d: %.2f requests per episode, %d human labels so far",
                     round_index, record.requests_per_episode, record.labels)
            yield record
    finally:
        env.close()
    return RoundsResult(history=tuple(history), model=model, data=data,
                        cancelled=len(history) < config.rounds)
