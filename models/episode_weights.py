"""Per-episode weights for BC: from tags, from return, or set by hand with a "weight=W" tag.

Training keeps the lecture's loss and changes only which rows it sees: each epoch draws as
many rows as the training set holds, with replacement, each with a chance proportional to its
episode's weight (`epoch_order`). Without weights (or all equal) an epoch is the plain seeded
permutation, so unweighted runs are unchanged to the bit.

An episode's weight is its "weight=W" tag when it has one (set by hand in the Datasets tab;
it overrides the rest), else the product of its tag weight (`TrainConfig.tag_weights`: the
smallest weight among its listed tags, 1 when none is listed) and its return weight
(`TrainConfig.return_temperature`: a softmax of the standardised returns, the best episode
1). The softmax was measured against rank weights on mixed expert and noisy demos
(docs/failures.md, "Mixed quality").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from clonelab.models.data import distinct_ids

__all__ = [
    "HAND_WEIGHT_PREFIX",
    "RETURN_TEMPERATURE",
    "episode_weights",
    "epoch_order",
    "parse_tag_weights",
    "row_weights",
]

HAND_WEIGHT_PREFIX = "weight="
# Measured on LunarLander, 3 expert and 6 noisy demos, 3 seeds: softmax at 0.5 beat 0.25, 1
# and rank weights ((rank + 1) / n); docs/failures.md, "Mixed quality".
RETURN_TEMPERATURE = 0.5


def _weight(text: str, where: str) -> float:
    """A finite weight of 0 or more read from `text`, else a one-line ValueError."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: a weight must be a finite number, 0 or more, got {text}")
    return value


def parse_tag_weights(text: str) -> dict[str, float]:
    """Tag weights from text such as "expert=1, noisy=0.2" (empty text: none).

    Raises ValueError (one line) for an entry without "=", a repeated tag, or a weight that is
    negative, infinite or not a number.
    """
    if not isinstance(text, str):
        raise ValueError(f'tag weights: write text such as "expert=1, noisy=0.2", got {text!r}')
    weights: dict[str, float] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        tag, equals, value = (piece.strip() for piece in entry.rpartition("="))
        if not equals or not tag:
            raise ValueError(f'tag weights: write tag=weight, such as "expert=1, noisy=0.2"; '
                             f"got {entry!r}")
        if tag in weights:
            raise ValueError(f"tag weights: {tag!r} is given twice")
        weights[tag] = _weight(value, f"tag weights, {tag}")
    return weights


def _hand_weight(tags: Sequence[str], episode_id: int) -> float | None:
    """The weight a "weight=W" tag sets (the last one when there are several), or None."""
    hand = [tag for tag in tags if tag.startswith(HAND_WEIGHT_PREFIX)]
    if not hand:
        return None
    return _weight(hand[-1].removeprefix(HAND_WEIGHT_PREFIX), f"episode {episode_id}'s tag")


def _softmax_weights(returns: np.ndarray, temperature: float) -> np.ndarray:
    """exp((return - best) / (temperature x std of the returns)): the best episode 1, in (0, 1]
    (all 1 when the returns are equal); standardised, so one temperature fits every env."""
    spread = float(returns.std())
    if spread == 0.0:
        return np.ones(len(returns))
    # A tiny floor: an episode far below the rest must keep a weight above 0, never underflow.
    return np.maximum(np.exp((returns - returns.max()) / (temperature * spread)), 1e-12)


def episode_weights(episode_ids: Sequence[int], tags: Mapping[int, Sequence[str]],
                    returns: Mapping[int, float], *, tag_weights: Mapping[str, float],
                    return_temperature: float | None) -> dict[int, float]:
    """Each episode's weight (see the module docstring); ValueError for a bad "weight=" tag."""
    ids = list(episode_ids)
    by_return = np.ones(len(ids))
    if return_temperature is not None and ids:
        by_return = _softmax_weights(np.array([returns[i] for i in ids], dtype=np.float64),
                                     return_temperature)
    weights = {}
    for episode_id, return_weight in zip(ids, by_return, strict=True):
        episode_tags = tags.get(episode_id, ())
        hand = _hand_weight(episode_tags, episode_id)
        if hand is not None:
            weights[episode_id] = hand
            continue
        listed = [tag_weights[tag] for tag in episode_tags if tag in tag_weights]
        weights[episode_id] = (min(listed) if listed else 1.0) * float(return_weight)
    return weights


def row_weights(dataset: Any, episode_column: np.ndarray, rewards: np.ndarray,
                train_rows: np.ndarray, *, tag_weights: Mapping[str, float],
                return_temperature: float | None) -> torch.Tensor | None:
    """The sampling weight of each training row (its episode's), or None when all are equal.

    Tags and returns come from `dataset.episode_info` where the dataset has it; data held in
    memory without it (`TransitionSet`) has no tags and its returns are its rewards' sums.
    Raises ValueError (one line) for a bad "weight=" tag or training episodes whose weights
    are all 0.
    """
    info = getattr(dataset, "episode_info", None)
    if info is None and return_temperature is None:
        return None  # rows without episode_info have no tags: every episode weighs 1
    ids = [int(i) for i in distinct_ids(episode_column[train_rows])]
    if info is not None:
        infos = {i: info(i) for i in ids}
        tags = {i: tuple(infos[i].tags) for i in ids}
        returns = {i: float(infos[i].episode_return) for i in ids}
    else:  # weighting by return (100 episodes' masks over 50,000 rows take 3.6 ms)
        tags = {}
        returns = {i: float(rewards[episode_column == i].sum()) for i in ids}
    weights = episode_weights(ids, tags, returns, tag_weights=tag_weights,
                              return_temperature=return_temperature)
    values = np.array([weights[i] for i in ids])
    if not values.any():
        raise ValueError(f"every training episode weighs 0 ({len(ids)} episodes); give some "
                         "a weight above 0")
    if np.all(values == values[0]):
        return None
    per_row = values[np.searchsorted(np.array(ids), episode_column[train_rows])]
    return torch.as_tensor(per_row, dtype=torch.float64)


def epoch_order(train_rows: torch.Tensor, weights: torch.Tensor | None,
                generator: torch.Generator) -> torch.Tensor:
    """One epoch's row ids: a seeded permutation of `train_rows`, or with `weights` as many
    rows drawn with replacement in proportion to them (by inverse CDF: `torch.multinomial`
    stops at 2^24 rows)."""
    n = len(train_rows)
    if weights is None:  # index_select gathers 50,000 ids in 0.04 ms, indexing in 0.15
        return train_rows.index_select(0, torch.randperm(n, generator=generator))
    cumulative = torch.cumsum(weights, 0)
    draws = torch.rand(n, generator=generator, dtype=torch.float64) * cumulative[-1]
    picks = torch.searchsorted(cumulative, draws, right=True).clamp_(max=n - 1)
    return train_rows.index_select(0, picks)
