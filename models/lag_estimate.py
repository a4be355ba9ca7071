"""How late a demonstrator reacts: the action shift that best aligns their actions with a
reference's, estimated from their own recording.

A person who reacts d steps late takes, at step t, the action for observation t-d. For every
shift s in 0..max_shift this job scores how well the recorded action at t agrees with a
reference's action for observation t-s; the best-scoring shift is the estimate, and the shift
to train with (`TrainConfig.action_shift`, docs/failures.md "Reaction lag"). References:

- "expert": the env's scripted expert, asked once per recorded observation (it must decide
  from the observation alone; Atari's and MiniGrid's read the game itself).
- "clone": a small clone trained for each shift on the recording's own pairs (observation t,
  action t+s) and scored on held-out episodes: the shift at which the actions are easiest to
  predict. Slower, but needs no expert.

Agreement is the share of equal actions for Discrete actions, and 1 minus the mean absolute
difference over the action range for Box actions.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Generator
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from clonelab.models.training import TrainConfig, TrainingError, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.configs import TORCH_DEVICES, check_counts
from clonelab.recorder.experts import ExpertError, has_expert, make_expert
from clonelab.recorder.jobs import CancelCheck, cancel_check, relay

__all__ = ["LagConfig", "LagError", "LagEstimate", "LagProgress", "estimate_lag"]

log = logging.getLogger(__name__)

Reference = Literal["auto", "expert", "clone"]


class LagError(ValueError):
    """A recording whose lag cannot be estimated (said in one line)."""


@dataclass(frozen=True, kw_only=True)
class LagConfig:
    """A lag estimate (`clonelab lag`'s flags and the Datasets tab's form come from these)."""

    max_shift: int = 12
    """Largest shift tried, in steps (every shift from 0 to it is scored)."""
    reference: Reference = "auto"
    """What the recorded actions are compared with: "expert" (the env's scripted expert on
    the shifted observations), "clone" (a quick clone per shift, scored on held-out
    episodes) or "auto" (the expert where one reads the observations, else clones)."""
    clone_steps: int = 600
    """Gradient steps of each quick clone (reference "clone")."""
    seed: int = 0
    """Seeds the quick clones and their held-out episodes."""
    device: str = dataclasses.field(default="cpu", metadata={"choices": TORCH_DEVICES})
    """Where the quick clones train: "auto", "cpu", "cuda" or "mps"."""

    def __post_init__(self) -> None:
        check_counts(self, "max_shift", "clone_steps")
        if self.reference not in ("auto", "expert", "clone"):
            raise ValueError(f"LagConfig: reference must be auto, expert or clone, "
                             f"got {self.reference!r}")
        if self.device not in TORCH_DEVICES:
            raise ValueError(f"LagConfig: device must be one of {', '.join(TORCH_DEVICES)}, "
                             f"got {self.device!r}")


@dataclass(frozen=True, kw_only=True)
class LagProgress:
    """One unit of work done: an episode asked of the expert, or a shift's clone trained."""

    done: int
    total: int
    stage: str
    """What is being done ("asking the expert", "clone for shift 3")."""


@dataclass(frozen=True, kw_only=True)
class LagEstimate:
    """Agreement per shift and the best shift."""

    env_id: str
    reference: Literal["expert", "clone"]
    shifts: tuple[int, ...]
    agreement: tuple[float, ...]
    """Agreement (0 to 1) of the recorded actions with the reference's at each shift."""
    best_shift: int
    """The shift with the highest agreement: the suggested `TrainConfig.action_shift`."""
    steps: int
    """Recorded steps read."""


def estimate_lag(config: LagConfig, dataset: Any, *, cancel: CancelCheck | None = None
                 ) -> Generator[LagProgress, None, LagEstimate | None]:
    """Score shifts 0..`config.max_shift` on `dataset` (a `DemoDataset`), yielding progress.

    Returns the estimate, or None when cancelled. Raises `LagError` for a recording with no
    steps, episodes no longer than the largest shift, or a reference that cannot be had.
    """
    ids = list(dataset.episode_ids)
    lengths = [dataset.episode_info(i).steps for i in ids]
    if not ids or max(lengths) <= config.max_shift:
        raise LagError(f"dataset for {dataset.env_id}: no episode is longer than the largest "
                       f"shift ({config.max_shift} steps); record more or choose a smaller "
                       f"max shift")
    reference = _reference(config.reference, dataset.env_id)
    if reference == "expert":
        agreement = yield from _expert_agreement(config, dataset, ids, cancel_check(cancel))
    else:
        agreement = yield from _clone_agreement(config, dataset, cancel)
    if agreement is None:
        return None
    best = int(np.argmax(agreement))
    log.info("lag estimate for %s (%s): %d steps", dataset.env_id, reference, best)
    return LagEstimate(env_id=dataset.env_id, reference=reference,
                       shifts=tuple(range(config.max_shift + 1)),
                       agreement=tuple(float(a) for a in agreement), best_shift=best,
                       steps=int(sum(lengths)))


def _reference(wanted: Reference, env_id: str) -> Literal["expert", "clone"]:
    readable = has_expert(env_id) and _expert_reads_observations(env_id)
    if wanted == "expert" and not readable:
        why = ("has no scripted expert" if not has_expert(env_id)
               else "has an expert that reads the game's own state, not the observation")
        raise LagError(f"{env_id} {why}; estimate the lag with reference clone")
    if wanted == "auto":
        return "expert" if readable else "clone"
    return wanted


def _expert_reads_observations(env_id: str) -> bool:
    env = make_env(env_id)
    try:
        return make_expert(env).reads_observation
    except ExpertError:
        return False
    finally:
        env.close()


def _expert_agreement(config: LagConfig, dataset: Any, ids: list[int],
                      should_stop: Any) -> Generator[LagProgress, None, np.ndarray | None]:
    """Agreement per shift of the recorded actions with the expert's on earlier observations."""
    env = make_env(dataset.env_id)
    hits = np.zeros(config.max_shift + 1)
    counts = np.zeros(config.max_shift + 1)
    try:
        expert = make_expert(env)
        for done, episode_id in enumerate(ids, start=1):
            if should_stop():
                return None
            episode = dataset.load_episode(episode_id)
            expert.reset(episode.seed)
            # The expert answers each recorded observation in order (as if it had played).
            answers = np.asarray([expert.act(obs) for obs in episode.observations[:-1]])
            recorded = np.asarray(episode.actions)
            for shift in range(min(config.max_shift, len(recorded) - 1) + 1):
                # Action t against the expert's answer to observation t - shift.
                match = _match(dataset.action_space, recorded[shift:],
                               answers[: len(answers) - shift])
                hits[shift] += match.sum()
                counts[shift] += len(match)
            yield LagProgress(done=done, total=len(ids), stage="asking the expert")
    finally:
        env.close()
    return hits / np.maximum(counts, 1)


def _same(record: LagProgress, _clone_record: object) -> LagProgress:
    return record


def _match(space: gym.Space, actions: np.ndarray, answers: np.ndarray) -> np.ndarray:
    """Per-step agreement in [0, 1]: equal or not (Discrete), closeness over the range (Box)."""
    if isinstance(space, gym.spaces.Box):
        span = np.asarray(space.high - space.low, dtype=np.float64).reshape(-1)
        gap = np.abs(actions.reshape(len(actions), -1) - answers.reshape(len(answers), -1))
        return np.clip(1.0 - gap / span, 0.0, 1.0).mean(axis=1)
    return (actions.reshape(len(actions)) == answers.reshape(len(answers))).astype(np.float64)


def _clone_agreement(config: LagConfig, dataset: Any, cancel: CancelCheck | None
                     ) -> Generator[LagProgress, None, np.ndarray | None]:
    """Held-out agreement per shift of a quick clone trained on (observation t, action t+s)."""
    should_stop = cancel_check(cancel)
    space = dataset.action_space
    agreement = []
    for shift in range(config.max_shift + 1):
        record = LagProgress(done=shift, total=config.max_shift + 1,
                             stage=f"clone for shift {shift}")
        yield record
        train = TrainConfig(steps=config.clone_steps, hidden=(64, 64), val_fraction=0.25,
                            seed=config.seed, device=config.device, patience=0,
                            log_every=config.clone_steps, select_by="last", action_shift=shift)
        try:
            # The clone's own records repeat this shift's (the bar moves once per shift).
            result = yield from relay(train_bc(train, dataset, cancel=cancel),
                                      partial(_same, record))
        except TrainingError as error:
            raise LagError(str(error)) from None
        if result.cancelled or should_stop():
            return None
        metrics = result.metrics
        if isinstance(space, gym.spaces.Box):
            span = float(np.mean(np.asarray(space.high - space.low, dtype=np.float64)))
            agreement.append(max(0.0, 1.0 - float(metrics.val_action_error or 0.0) / span))
        else:
            agreement.append(float(metrics.val_accuracy or 0.0))
    yield LagProgress(done=config.max_shift + 1, total=config.max_shift + 1, stage="done")
    return np.asarray(agreement)
