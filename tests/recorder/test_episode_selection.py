"""Choosing episodes by their metadata, and a chosen subset read through its dataset."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from clonelab.recorder.episode_selection import (
    EpisodeSubset,
    all_tags,
    matches,
    mean_return,
    select_ids,
    share_text,
)


@dataclass(frozen=True)
class Info:
    episode_id: int
    episode_return: float
    tags: tuple[str, ...] = ()
    operator: str = ""


INFOS = [Info(0, 10.0, ("expert",), "ada"), Info(1, 200.0, ("expert", "good"), "bob"),
         Info(2, math.nan, ("noisy",), "Ada")]


def test_selection_by_tag_and_minimum_return_keeps_the_order():
    assert select_ids(INFOS, tag="expert") == (0, 1)
    assert select_ids(INFOS, min_return=100.0) == (1,)
    assert select_ids(INFOS, tag="expert", min_return=500.0) == ()
    assert all_tags(INFOS) == ["expert", "good", "noisy"]


def test_the_text_filter_reads_tags_and_operators_and_nan_never_passes_a_threshold():
    assert [i.episode_id for i in INFOS if matches(i, text="ADA")] == [0, 2]
    assert [i.episode_id for i in INFOS if matches(i, text="goo")] == [1]
    assert not matches(INFOS[2], min_return=-1e9)
    assert mean_return(INFOS[:2]) == 105.0 and math.isnan(mean_return([]))


def test_share_text_names_the_largest_share_first():
    assert share_text({"human": 7}) == "human"
    assert share_text({"agent": 3, "human": 7}) == "human 70%, agent 30%"
    assert share_text({}) == ""


class FakeDataset:
    env_id, observation_space, action_space = "CartPole-v1", "obs", "act"
    episode_ids = (0, 1, 2)

    def fingerprint(self) -> str:
        return "f" * 32

    def transitions(self, episode_ids):
        return tuple(episode_ids)


def test_a_subset_reads_its_episodes_through_the_dataset():
    subset = EpisodeSubset(FakeDataset(), [0, 2])
    assert subset.transitions() == (0, 2) and subset.transitions([2]) == (2,)
    assert subset.env_id == "CartPole-v1" and subset.fingerprint() != "f" * 32
    assert EpisodeSubset(FakeDataset(), [0, 1, 2]).fingerprint() == "f" * 32
    with pytest.raises(ValueError, match=r"\[7\]"):
        EpisodeSubset(FakeDataset(), [0, 7])
