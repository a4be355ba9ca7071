"""Reading one episode a chunk of rows at a time: an image episode is never held whole.

A full Atari game of raw 210x160x3 frames is 1.3 GB; training converts the frames to a few
percent of that, so reading them a few hundred at a time bounds the memory a read takes.
Chunks of a multiple of `schema.FRAMES_PER_CHUNK` rows decompress each HDF5 chunk once.
`stored_episode` gives an episode to replay whose observations are read a block of rows at a
time when asked (`RecordedRows`): the Compare tab checks its demo pane against them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym
import h5py
import numpy as np

from clonelab.recorder import schema
from clonelab.recorder.dataset_index import EpisodeInfo
from clonelab.recorder.dataset_io import Location, UnfitEpisode, read_options
from clonelab.recorder.dataset_reads import Transitions
from clonelab.recorder.dict_observations import read_observations
from clonelab.recorder.episode import action_space_problem, nonfinite_problem
from clonelab.recorder.errors import DatasetError, describe

__all__ = ["RecordedRows", "StoredEpisode", "read_chunks", "stored_episode"]


def read_chunks(location: Location, info: EpisodeInfo, *, observation_space: gym.Space,
                action_space: gym.Space, rows: int) -> Iterator[Transitions]:
    """The episode's steps in order, at most `rows` to a `Transitions`.

    Actions and rewards are read whole (they are small), observations `rows` at a time (a
    Dict's group of keys whole). Values are checked as reads through HDF5 are: NaN,
    infinities and actions outside the space raise `DatasetError`, as does a damaged file.
    """
    if rows <= 0:
        raise ValueError(f"rows must be a positive whole number, got {rows}")
    file = _open(location, info)
    with file:
        group = _group(location, info, file)
        actions, rewards = _small_columns(location, info, group, action_space)
        ids = np.full(rows, info.episode_id, dtype=np.int64)
        for start in range(0, info.steps, rows):
            stop = min(info.steps, start + rows)
            yield Transitions(
                observations=_observations(location, info, group, observation_space,
                                           start, stop),
                actions=actions[start:stop], rewards=rewards[start:stop],
                episode_ids=ids[: stop - start])


def read_actions(location: Location, info: EpisodeInfo, *, action_space: gym.Space
                 ) -> np.ndarray:
    """The episode's actions alone, checked (its frames are not read)."""
    file = _open(location, info)
    with file:
        return _small_columns(location, info, _group(location, info, file), action_space)[0]


class RecordedRows:
    """The T+1 observation rows of a stored episode, read from its file `block` rows at a
    time when asked (the last block kept): a 5,000-step Atari episode is 500 MB whole."""

    def __init__(self, location: Location, info: EpisodeInfo, space: gym.Space, *,
                 block: int = schema.FRAMES_PER_CHUNK) -> None:
        self._location, self._info, self._space, self._block = location, info, space, block
        self._start = -1
        self._rows = np.zeros(0)

    def __len__(self) -> int:
        return self._info.steps + 1

    def __getitem__(self, row: int) -> np.ndarray:
        """Observation `row` (0 is the reset's); raises DatasetError for a damaged file."""
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} of an episode of {len(self)} observations")
        start = row - row % self._block
        if start != self._start:
            location, info = self._location, self._info
            file = _open(location, info)
            with file:
                self._rows = _observations(location, info, _group(location, info, file),
                                           self._space, start, min(len(self), start + self._block))
            self._start = start
        return self._rows[row - start]


@dataclass(frozen=True, kw_only=True, eq=False)
class StoredEpisode:
    """What replaying a stored episode needs, its observations left in the file: the fields
    of `EpisodeData` that a replay reads (`models.twin_run.demo_and_clone`, the video export,
    the clone's OOD timeline)."""

    observations: RecordedRows
    actions: np.ndarray
    seed: int | None
    options: dict[str, Any] | None
    fps: float = math.nan
    played_actions: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.actions)


class _Stored(Protocol):
    @property
    def observation_space(self) -> gym.Space: ...

    @property
    def action_space(self) -> gym.Space: ...

    def location(self, episode_id: int) -> Location: ...

    def episode_info(self, episode_id: int) -> EpisodeInfo: ...


def stored_episode(dataset: _Stored, episode_id: int) -> StoredEpisode:
    """Episode `episode_id` of `dataset` (a `DemoDataset`) without its observations read:
    its actions and any played actions (checked), seed, reset options and recording rate."""
    location, info = dataset.location(episode_id), dataset.episode_info(episode_id)
    file = _open(location, info)
    with file:
        group = _group(location, info, file)
        actions = _small_columns(location, info, group, dataset.action_space)[0]
        played = None
        try:
            if schema.PLAYED_ACTIONS in group:
                played = _action_column(group, schema.PLAYED_ACTIONS, info.steps,
                                        dataset.action_space)
            options = read_options(group)
        except (OSError, KeyError, ValueError) as exc:
            raise _unreadable(location, info, exc) from None
    return StoredEpisode(observations=RecordedRows(location, info, dataset.observation_space),
                         actions=actions, seed=info.seed, options=options, fps=info.fps,
                         played_actions=played)


def _open(location: Location, info: EpisodeInfo) -> h5py.File:
    try:
        return h5py.File(location.file, "r")
    except OSError as exc:
        raise _unreadable(location, info, exc) from None


def _unreadable(location: Location, info: EpisodeInfo, exc: Exception) -> DatasetError:
    return DatasetError(location.file,
                        f"episode {info.episode_id} is unreadable ({describe(exc)})")


def _group(location: Location, info: EpisodeInfo, file: h5py.File) -> h5py.Group:
    try:
        return file[location.group]
    except (OSError, KeyError, ValueError) as exc:
        raise _unreadable(location, info, exc) from None


def _small_columns(location: Location, info: EpisodeInfo, group: h5py.Group,
                   action_space: gym.Space) -> tuple[np.ndarray, np.ndarray]:
    """The episode's actions and rewards, checked."""
    try:
        actions = _action_column(group, schema.ACTIONS, info.steps, action_space)
        rewards = np.asarray(group[schema.REWARDS][: info.steps]).astype(
            schema.REWARD_DTYPE, copy=False)
        if len(rewards) < info.steps:
            raise ValueError(f"{len(rewards)} rewards for {info.steps} steps")
        problem = nonfinite_problem(schema.REWARDS, rewards)
        if problem:
            raise UnfitEpisode(problem)
    except (OSError, KeyError, ValueError) as exc:
        raise _unreadable(location, info, exc) from None
    return actions, rewards


def _action_column(group: h5py.Group, name: str, steps: int,
                   action_space: gym.Space) -> np.ndarray:
    """The first `steps` rows of an actions dataset, checked against the action space;
    OSError, KeyError or ValueError when they do not fit."""
    actions = np.asarray(group[name][:steps]).astype(schema.row_dtype(action_space),
                                                     copy=False)
    if len(actions) < steps:
        raise ValueError(f"{len(actions)} {name} for {steps} steps")
    problem = (nonfinite_problem(name, actions)
               or action_space_problem(actions, action_space, name=name))
    if problem:
        raise UnfitEpisode(problem)
    return actions


def _observations(location: Location, info: EpisodeInfo, group: h5py.Group,
                  space: gym.Space, start: int, stop: int) -> np.ndarray:
    """Observation rows start..stop-1, checked."""
    try:
        stored = group[schema.OBSERVATIONS]
        if isinstance(stored, h5py.Dataset):
            expected = schema.row_dtype(space)
            if not np.can_cast(stored.dtype, expected, "same_kind"):
                raise ValueError(f"observations have dtype {stored.dtype}, expected {expected}")
            rows = np.asarray(stored[start:stop]).astype(expected, copy=False)
        else:  # a Dict's keys, read whole for each chunk: vectors, a chunk is most episodes
            rows = read_observations(group, schema.OBSERVATIONS, space)[start:stop]
        if len(rows) < stop - start:
            raise ValueError(f"{start + len(rows)} observations for {info.steps} steps")
        problem = nonfinite_problem(schema.OBSERVATIONS, rows)
        if problem:
            raise UnfitEpisode(problem)
    except (OSError, KeyError, ValueError) as exc:
        raise _unreadable(location, info, exc) from None
    return rows
