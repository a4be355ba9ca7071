"""How far is a state from the demos? Out-of-distribution scores calibrated on held-out demos.

A raw score (the distance to the nearest demo states, or an ensemble's disagreement) means
nothing across envs: CartPole's distances are not LunarLander's. `calibrate` divides it by its
q-quantile over demo states the scorer never saw, so with q = 0.95 a score above 1 reads "further
from the demos than 95% of held-out demo states", in every env and for every scorer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from clonelab.models.data import observation_stats, split_rows
from clonelab.models.policy import MIN_OBS_STD

DEFAULT_QUANTILE = 0.95
DEFAULT_HOLDOUT = 0.2
# Query rows and reference rows per torch.cdist call: at most 1024 x 8192 distances at once.
QUERY_CHUNK = 1024
REFERENCE_CHUNK = 8192
# Values normalised at a time (queries too: fewer rows when they are large): 4M floats are
# 41 Atari frames, whose float64 copy is 32 MB (1,000 frames at once took 1.6 GB).
NORMALIZE_VALUES = 2**22
# Image states are compared at most this many values a frame: larger frames are averaged over
# square blocks of pixels first (Pong's 210x160x3 over 4x4 blocks, 6,240 values). Distances
# between 100,800-value frames held Watch's reference at 96 MB and took 0.1 s per state rated.
MAX_IMAGE_FEATURES = 8192
# Candidates beyond the k nearest whose distances are computed again exactly (near ties).
SHORTLIST = 4
# Beyond this many demo states the reference set is a seeded random sample: distances to 20k
# states cost 20k x D floats per query chunk, and more states barely move a nearest distance.
MAX_REFERENCE = 20_000
# The fewest demo states an OOD score can be fitted on: one reference state, one held out.
MIN_STATES = 2
# A quantile of exactly 0 (an ensemble that agrees on every held-out state) would make every
# score infinite or NaN; this floor keeps "any disagreement at all" a large, finite score.
MIN_SCALE = 1e-6


class DemoStates(Protocol):
    """Demo states with the episode each comes from (`Transitions` are such)."""

    @property
    def observations(self) -> Any: ...

    @property
    def episode_ids(self) -> Any: ...


class TooFewStates(ValueError):
    """Too few demo states for an OOD score: the normal state of a new or one-step dataset."""


class StateScorer(Protocol):
    """Anything that rates a batch of raw observations: larger means further from the demos."""

    def raw_scores(self, observations: Any) -> np.ndarray:
        """(B,) float64 scores for a (B, *obs_shape) batch."""
        ...


@dataclass(frozen=True, eq=False)
class StateScale:
    """Per-feature normalisation of flattened observations (images: pixels / 255, averaged
    over `pool` x `pool` blocks first)."""

    mean: np.ndarray
    std: np.ndarray
    pool: int = 1

    @classmethod
    def fit(cls, observations: Any) -> StateScale:
        """Statistics of demo states; uint8 images are scaled by 1/255 as the policy does, and
        pooled down to MAX_IMAGE_FEATURES values at most."""
        observations = np.asarray(observations)
        if observations.dtype == np.uint8:
            pool = image_pool(observations.shape[1:])
            features = math.prod(pooled_shape(observations.shape[1:], pool))
            return cls(np.zeros(features), np.full(features, 255.0), pool)
        mean, std = observation_stats(observations)
        return cls(mean, np.where(std < MIN_OBS_STD, 1.0, std))

    def normalize(self, observations: Any) -> torch.Tensor:
        """(B, D) float32 normalised rows, computed in float64 a few rows at a time."""
        observations = np.asarray(observations)
        features = len(self.mean)
        out = torch.empty(len(observations), features, dtype=torch.float32)
        rows = max(1, NORMALIZE_VALUES // max(features * self.pool**2, 1))
        for start in range(0, len(observations), rows):
            flat = np.asarray(block_means(observations[start : start + rows], self.pool),
                              dtype=np.float64)
            out[start : start + rows] = torch.as_tensor(
                (flat.reshape(len(flat), features) - self.mean) / self.std, dtype=torch.float32)
        return out

    def distance(self, first: Any, second: Any) -> np.ndarray:
        """Row-wise root-mean-square distance between two equally long batches, normalised."""
        gap = self.normalize(first) - self.normalize(second)
        return gap.pow(2).mean(dim=1).sqrt().numpy().astype(np.float64)


def image_pool(frame_shape: tuple[int, ...]) -> int:
    """The side of the square pixel blocks a frame of `frame_shape` ((H, W, C), or (H, W)) is
    averaged over: the smallest that leaves MAX_IMAGE_FEATURES values or fewer."""
    pool = 1
    while (len(frame_shape) >= 2 and min(frame_shape[:2]) >= 2 * pool
           and math.prod(pooled_shape(frame_shape, pool)) > MAX_IMAGE_FEATURES):
        pool += 1
    return pool


def pooled_shape(frame_shape: tuple[int, ...], pool: int) -> tuple[int, ...]:
    """A frame's shape once averaged over `pool` x `pool` blocks (edge pixels beyond the last
    whole block left out)."""
    if pool == 1:
        return frame_shape
    return (frame_shape[0] // pool, frame_shape[1] // pool, *frame_shape[2:])


def block_means(frames: np.ndarray, pool: int) -> np.ndarray:
    """(B, H, W, ...) frames averaged over `pool` x `pool` pixel blocks (float32), or as they
    are when `pool` is 1."""
    if pool == 1:
        return frames
    height, width = frames.shape[1] // pool * pool, frames.shape[2] // pool * pool
    blocks = frames[:, :height, :width].reshape(
        len(frames), height // pool, pool, width // pool, pool, *frames.shape[3:])
    return blocks.mean(axis=(2, 4), dtype=np.float32)


class NearestNeighbourScorer:
    """The RMS distance from a state to its k-th nearest demo state, in normalised space."""

    def __init__(self, reference: Any, *, k: int = 1, scale: StateScale | None = None,
                 seed: int = 0) -> None:
        reference = np.asarray(reference)
        if len(reference) < k:
            raise ValueError(f"need at least k={k} demo states to measure distances, "
                             f"got {len(reference)}")
        if len(reference) > MAX_REFERENCE:
            rows = np.random.default_rng(seed).choice(len(reference), MAX_REFERENCE,
                                                      replace=False)
            reference = reference[np.sort(rows)]
        self.k = k
        self.scale = scale if scale is not None else StateScale.fit(reference)
        self._reference = self.scale.normalize(reference)

    @torch.inference_mode()
    def raw_scores(self, observations: Any) -> np.ndarray:
        """(B,) distance to the k-th nearest reference state, divided by sqrt(D).

        A state's score does not depend on the batch it comes in (the Watch tab rates states
        one by one, the Compare tab a whole trajectory): `torch.cdist`'s matrix-product
        distances differ with the batch's size in their last digits (about 1e-5 relative), so
        they only shortlist the nearest SHORTLIST + k states, whose distances are then computed
        again pair by pair.
        """
        observations = np.asarray(observations)
        features = len(self.scale.mean)
        rows = max(1, min(QUERY_CHUNK, NORMALIZE_VALUES // features))
        scores = []
        for start in range(0, len(observations), rows):
            query = self.scale.normalize(observations[start : start + rows])
            shortlist = self._shortlist(query)
            exact = torch.stack([(query - self._reference[shortlist[:, j]]).pow(2).sum(dim=1)
                                 for j in range(shortlist.shape[1])], dim=1).sqrt()
            scores.append(exact.topk(self.k, dim=1, largest=False).values[:, self.k - 1])
        if not scores:
            return np.zeros(0)
        return torch.cat(scores).double().numpy() / math.sqrt(features)

    def _shortlist(self, query: torch.Tensor) -> torch.Tensor:
        """(B, k + SHORTLIST at most) rows of the reference states nearest to each query."""
        keep = self.k + SHORTLIST
        best = torch.empty(len(query), 0)
        rows = torch.empty(len(query), 0, dtype=torch.long)
        for ref_start in range(0, len(self._reference), REFERENCE_CHUNK):
            distances = torch.cdist(query, self._reference[ref_start:
                                                           ref_start + REFERENCE_CHUNK])
            near, near_rows = distances.topk(min(keep, distances.shape[1]), dim=1,
                                             largest=False)
            best = torch.cat([best, near], dim=1)
            rows = torch.cat([rows, near_rows + ref_start], dim=1)
            best, order = best.topk(min(keep, best.shape[1]), dim=1, largest=False)
            rows = rows.gather(1, order)
        return rows


@dataclass(frozen=True, eq=False)
class CalibratedScore:
    """A scorer divided by the q-quantile of its raw scores on held-out demo states.

    Call it on a batch of observations; a score above 1 means further from the demos than the
    `quantile` share of held-out demo states (so the natural threshold is 1 in every env).
    """

    scorer: StateScorer
    scale: float
    """The q-quantile of the raw scores of held-out demo states (at least MIN_SCALE)."""
    quantile: float

    def __call__(self, observations: Any) -> np.ndarray:
        """(B,) calibrated scores for a (B, *obs_shape) batch."""
        return self.scorer.raw_scores(observations) / self.scale

    def score_one(self, observation: Any) -> float:
        """The calibrated score of a single observation."""
        return float(self(np.asarray(observation)[None])[0])


def calibrate(scorer: StateScorer, held_out: Any, *,
              quantile: float = DEFAULT_QUANTILE) -> CalibratedScore:
    """Calibrate `scorer` on held-out demo states (states it was not fitted on)."""
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must lie in (0, 1), such as 0.95, got {quantile!r}")
    raw = scorer.raw_scores(held_out)
    if len(raw) == 0:
        raise ValueError("no held-out demo states to calibrate on; record more demos")
    scale = max(float(np.quantile(raw, quantile)), MIN_SCALE)
    return CalibratedScore(scorer, scale, quantile)


def fit_ood(data: DemoStates, *, quantile: float = DEFAULT_QUANTILE,
            holdout_fraction: float = DEFAULT_HOLDOUT, k: int = 1,
            seed: int = 0) -> CalibratedScore:
    """A nearest-neighbour OOD score for demo transitions (e.g. `dataset.transitions()`).

    Whole episodes (`holdout_fraction` of them, seeded; the tail of a single episode) are held
    out for calibration; the rest are the reference states. Raises TooFewStates with fewer
    than MIN_STATES states.
    """
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must lie in (0, 1), got {holdout_fraction!r}")
    observations = np.asarray(data.observations)
    episode_ids = np.asarray(data.episode_ids)
    if len(episode_ids) != len(observations):
        raise ValueError(f"{len(observations)} observations need one episode id each, got "
                         f"{len(episode_ids)}; pass transitions (dataset.transitions())")
    if len(observations) < MIN_STATES:
        raise TooFewStates(f"Record at least {MIN_STATES} demo states to see OOD scores "
                           f"(the demos hold {len(observations)})")
    # With MIN_STATES states or more, at least one state is held out and one kept.
    split = split_rows(episode_ids, holdout_fraction, seed)
    scorer = NearestNeighbourScorer(observations[split.train_rows], k=k, seed=seed)
    return calibrate(scorer, observations[split.val_rows], quantile=quantile)
