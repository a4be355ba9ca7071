"""From a demo dataset to training tensors: checks, the train/validation split, statistics.

`train_bc` reads any object with the `recorder.dataset.DemoDataset` reading surface (env_id,
spaces, episode_ids, fingerprint(), transitions()); the protocols below name that surface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from clonelab.recorder.schema import row_shape


class TrainingError(RuntimeError):
    """Training cannot start or cannot go on (bad data, a NaN loss); the message says why."""


class TransitionsLike(Protocol):
    """One row per step: observation s_t with the action a_t taken in it."""

    # Read-only properties, so frozen dataclasses and property-only classes satisfy them too.
    @property
    def observations(self) -> np.ndarray: ...

    @property
    def actions(self) -> np.ndarray: ...

    @property
    def rewards(self) -> np.ndarray: ...

    @property
    def episode_ids(self) -> np.ndarray: ...


class DatasetLike(Protocol):
    """The part of `recorder.dataset.DemoDataset` that training reads."""

    @property
    def env_id(self) -> str: ...

    @property
    def observation_space(self) -> Any: ...

    @property
    def action_space(self) -> Any: ...

    @property
    def episode_ids(self) -> Sequence[int]: ...

    def fingerprint(self) -> str: ...

    def transitions(self, episode_ids: Sequence[int] | None = None) -> TransitionsLike: ...


@dataclass(frozen=True)
class Split:
    """Which transition rows train and which validate, and from which episodes."""

    train_rows: np.ndarray
    val_rows: np.ndarray
    train_episodes: tuple[int, ...]
    val_episodes: tuple[int, ...]


def load_checked(dataset: DatasetLike) -> TransitionsLike:
    """All of the dataset's transitions, refusing empty, misshapen or non-finite data."""
    where = f"dataset for {dataset.env_id}"
    data = dataset.transitions()
    rows = len(data.actions)
    if rows == 0:
        raise TrainingError(f"{where} has no steps; record some episodes before training")
    obs_shape = row_shape(dataset.observation_space)  # a Dict's flat rows
    if tuple(data.observations.shape) != (rows, *obs_shape):
        raise TrainingError(
            f"{where}: observations have shape {data.observations.shape[1:]} per step but the "
            f"observation space says {obs_shape}"
        )
    for name in ("observations", "actions"):
        values = getattr(data, name)
        # One check over all values first: per row, NumPy's all(axis=1) over CartPole's 4
        # features took 0.7 ms of a 50,000-row run's start.
        if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
            bad = ~np.isfinite(values.reshape(rows, -1)).all(axis=1)
            if bad.any():
                row = int(np.argmax(bad))
                episode = int(data.episode_ids[row])
                step = row - int(np.argmax(data.episode_ids == episode))
                raise TrainingError(
                    f"{where}: {name} contain NaN or inf (first in episode {episode}, step "
                    f"{step}); delete or fix that episode before training"
                )
    return data


def distinct_ids(episode_ids: np.ndarray) -> np.ndarray:
    """`np.unique(episode_ids)`, sorting only the id that starts each run of equal ids: an
    episode's rows are contiguous, so 50,000 rows of 100 episodes sort 100 values (np.unique
    sorted or hashed all 50,000, 0.7 ms). Any order of ids gives np.unique's answer."""
    ids = np.asarray(episode_ids)
    if ids.ndim != 1 or len(ids) < 2:
        return np.unique(ids)
    starts = np.empty(len(ids), dtype=bool)
    starts[0] = True
    np.not_equal(ids[1:], ids[:-1], out=starts[1:])
    return np.unique(ids[starts])


def split_rows(episode_ids: np.ndarray, val_fraction: float, seed: int, *,
               tails_when_few: bool = False) -> Split:
    """Hold out whole episodes (seeded) for validation; with one episode, hold out its tail.

    Held-out episodes measure what matters for cloning, how the policy does on trajectories it
    never saw; random steps would leak neighbouring, nearly identical states into validation.
    With `tails_when_few`, when `val_fraction` of the episodes rounds to none (fewer than 5
    episodes at 0.1), the last `val_fraction` of every episode's steps is held out instead: a
    whole episode would take far more than the fraction asked for (half the data of two demos).
    Calibrations that need unseen whole episodes (OOD scores) keep the default.
    """
    episodes = distinct_ids(episode_ids)
    all_rows = np.arange(len(episode_ids))
    if val_fraction <= 0.0 or len(episode_ids) < 2:
        return Split(all_rows, all_rows[:0], tuple(episodes.tolist()), ())
    if len(episodes) == 1 or (tails_when_few and round(val_fraction * len(episodes)) == 0):
        return _split_tails(episode_ids, episodes, val_fraction)
    n_val = min(len(episodes) - 1, max(1, round(val_fraction * len(episodes))))
    shuffled = np.random.default_rng(seed).permutation(episodes)
    val_episodes = np.sort(shuffled[:n_val])
    is_val = np.isin(episode_ids, val_episodes)
    train_episodes = np.setdiff1d(episodes, val_episodes)
    return Split(
        all_rows[~is_val],
        all_rows[is_val],
        tuple(int(e) for e in train_episodes),
        tuple(int(e) for e in val_episodes),
    )


def _split_tails(episode_ids: np.ndarray, episodes: np.ndarray, val_fraction: float) -> Split:
    """Hold out the last `val_fraction` of each episode's steps (at least one, if it has two)."""
    is_val = np.zeros(len(episode_ids), dtype=bool)
    for episode in episodes:
        rows = np.flatnonzero(episode_ids == episode)
        if len(rows) >= 2:
            n_val = min(len(rows) - 1, max(1, round(val_fraction * len(rows))))
            is_val[rows[-n_val:]] = True
    all_rows = np.arange(len(episode_ids))
    ids = tuple(int(e) for e in episodes)
    return Split(all_rows[~is_val], all_rows[is_val], ids, ids if is_val.any() else ())


def observation_stats(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std of flattened vector observations (float64 for accuracy).

    NumPy's two passes (the mean, then the mean squared deviation) reduced by torch: NumPy's
    reductions down the rows took 4.1 ms for 50,000 CartPole rows, torch's 0.3 ms (its Welford
    `std_mean` 1.2 ms); they agree to float64 rounding (tests/models/test_data.py)."""
    flat = torch.from_numpy(np.asarray(observations).reshape(len(observations), -1)
                            .astype(np.float64))
    mean = flat.mean(dim=0)
    return mean.numpy(), flat.sub_(mean).square_().mean(dim=0).sqrt_().numpy()  # flat's ours


# The least std a feature is divided by: normalisation amplifies a feature at most 3.3x.
STD_FLOOR = 0.3


def input_stats(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and std a policy normalises its vector inputs by: the demos' own, with the
    std raised to at least STD_FLOOR.

    Dividing by the spread of a feature the demos barely moved amplifies it: one expert
    CartPole episode moves the cart and the pole by millimetres (std 0.003-0.04), so plain
    normalisation made those inputs 25-300x larger and the small drifts of a closed-loop
    rollout put the clone far outside its training inputs (4 of 10 seeds failed,
    bench/clone_normalisation.py). Gym envs give features of about unit size, so a floor of
    that order leaves such features near their own scale, while wider ones (LunarLander's
    velocities, Pendulum's angular velocity) are still scaled to unit spread. Centring stays:
    Pendulum's clone from 20 demos scored -380 with its cos and sin left raw, -158 centred
    (both unscaled). The floor's value is measured in docs/benchmarks.md: from one CartPole
    episode floors of 0.1 and 1.0 lost seeds, 0.3 and 0.5 none; 0.5 cost LunarLander's
    4-unit clones their DAgger margin (tests/models/test_dagger.py), 0.3 did not.
    """
    mean, std = observation_stats(observations)
    return mean, np.maximum(std, STD_FLOOR)
