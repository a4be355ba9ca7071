"""Choosing episodes of a dataset by their metadata (tag, operator text, minimum return).

`EpisodeSubset` presents chosen episodes of a dataset with the reading surface `train_bc` uses,
so training on "tagged 'good'" or "return >= 200" needs no copy of the data.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol


class InfoLike(Protocol):
    """The parts of `recorder.dataset_index.EpisodeInfo` that selection reads."""

    episode_id: int
    episode_return: float
    tags: tuple[str, ...]
    operator: str


def matches(info: InfoLike, *, text: str = "", min_return: float | None = None) -> bool:
    """Whether an episode passes a text filter (tags or operator) and a minimum return."""
    if min_return is not None and not info.episode_return >= min_return:
        return False  # NaN returns never pass a threshold
    needle = text.strip().lower()
    if not needle:
        return True
    return any(needle in tag.lower() for tag in info.tags) or needle in info.operator.lower()


def select_ids(
    infos: Iterable[InfoLike], *, tag: str | None = None, min_return: float | None = None
) -> tuple[int, ...]:
    """Ids of the episodes carrying `tag` (exactly) and reaching `min_return`, in order."""
    return tuple(
        info.episode_id
        for info in infos
        if (tag is None or tag in info.tags)
        and (min_return is None or info.episode_return >= min_return)
    )


def all_tags(infos: Iterable[InfoLike]) -> list[str]:
    """Every tag used in the dataset, sorted."""
    return sorted({tag for info in infos for tag in info.tags})


def mean_return(infos: Iterable[InfoLike]) -> float:
    """The mean episode return (NaN for no episodes)."""
    returns = [info.episode_return for info in infos]
    return math.fsum(returns) / len(returns) if returns else math.nan


def share_text(counts: Mapping[str, int]) -> str:
    """"human" for one name; "human 70%, agent 30%" for several (largest first)."""
    total = sum(counts.values())
    if not counts or total == 0:
        return ""
    if len(counts) == 1:
        return next(iter(counts))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {round(100 * steps / total)}%" for name, steps in ordered)


class EpisodeSubset:
    """Chosen episodes of a dataset, read through the dataset (nothing is copied)."""

    def __init__(self, dataset: Any, episode_ids: Sequence[int]) -> None:
        missing = sorted(set(episode_ids) - set(dataset.episode_ids))
        if missing:
            raise ValueError(f"episodes {missing} are not in the dataset")
        self._dataset = dataset
        self.episode_ids = tuple(episode_ids)
        self.env_id = dataset.env_id
        self.observation_space = dataset.observation_space
        self.action_space = dataset.action_space

    def fingerprint(self) -> str:
        """The dataset's fingerprint narrowed to the chosen ids."""
        if tuple(self._dataset.episode_ids) == self.episode_ids:
            return self._dataset.fingerprint()
        ids = ",".join(str(i) for i in self.episode_ids)
        digest = hashlib.sha256(f"{self._dataset.fingerprint()}|{ids}".encode()).hexdigest()
        return digest[:32]

    def transitions(self, episode_ids: Sequence[int] | None = None) -> Any:
        """The transitions of the chosen episodes (or of a further subset of them)."""
        return self._dataset.transitions(self.episode_ids if episode_ids is None else episode_ids)

    def episode_info(self, episode_id: int) -> Any:
        """The dataset's summary of one episode."""
        return self._dataset.episode_info(episode_id)

    def transition_chunks(self, episode_id: int, rows: int) -> Any:
        """One episode's steps, at most `rows` at a time (`DemoDataset.transition_chunks`)."""
        return self._dataset.transition_chunks(episode_id, rows)
