"""Reading many episodes' steps into contiguous arrays: the transitions a clone trains on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gymnasium as gym
import h5py
import numpy as np

from clonelab.recorder import schema
from clonelab.recorder.dataset_index import EpisodeInfo
from clonelab.recorder.dataset_io import (
    Location,
    UnfitEpisode,
    file_stamp,
    open_file_id,
    read_raw,
    read_rows,
)
from clonelab.recorder.dict_observations import read_observations
from clonelab.recorder.episode import action_space_problem, hash_arrays, nonfinite_problem
from clonelab.recorder.errors import DatasetError, describe

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, eq=False)
class Transitions:
    """One row per step: observation s_t, the action a_t taken in it, reward r_t, episode id."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    episode_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.rewards)


def read_transitions(infos: Sequence[EpisodeInfo], locate: Callable[[int], Location], *,
                     observation_space: gym.Space, action_space: gym.Space) -> Transitions:
    """Every step of the episodes ``infos`` summarise, in order; ``locate`` finds each one.

    Rows go straight into preallocated arrays: by byte ranges checked against each
    episode's content hash where the index knows them, else through HDF5.
    """
    steps = [info.steps for info in infos]
    total = sum(steps)
    # One spare row: a byte-range read takes an episode's T+1 observations whole, and the
    # next episode overwrites the extra one.
    observations = np.empty((total + 1, *schema.row_shape(observation_space)),
                            schema.row_dtype(observation_space))
    actions = np.empty((total, *schema.row_shape(action_space)), action_space.dtype)
    rewards = np.empty(total, schema.REWARD_DTYPE)
    flags = np.empty((2, max(steps, default=0)), schema.FLAG_DTYPE)
    start = 0
    for info in infos:
        end = start + info.steps
        location = locate(info.episode_id)
        raw = (observations[start:end + 1], actions[start:end], rewards[start:end],
               flags[0, :info.steps], flags[1, :info.steps])
        if not _read_verified(location, info, raw):
            _read_through_hdf5(location, info.episode_id,
                               (observations[start:end], actions[start:end], rewards[start:end]),
                               observation_space, action_space)
        start = end
    episode_column = np.repeat(np.asarray([info.episode_id for info in infos], dtype=np.int64),
                               steps)
    return Transitions(observations=observations[:total], actions=actions, rewards=rewards,
                       episode_ids=episode_column)


def _read_verified(location: Location, info: EpisodeInfo, buffers: tuple[np.ndarray, ...]
                   ) -> bool:
    """Read an episode's hashed datasets by byte range; False when that cannot be trusted.

    The content hash alone cannot tell: a dataset rewritten in place leaves its old bytes
    where the index points, and they match the old hash. So the ranges serve only while the
    file is the one that was indexed (same size and modification time).
    """
    if info.raw_offsets is None or info.file_stamp is None:
        return False
    try:
        if file_stamp(location.file) != info.file_stamp:
            logger.info("%s: episode %d read through HDF5 (the file changed since it was "
                        "indexed)", location.file, info.episode_id)
            return False
        read_raw(location.file, info.raw_offsets, buffers)
    except OSError:
        return False
    if hash_arrays(*buffers) == info.content_hash:
        return True
    logger.info("%s: episode %d read through HDF5 (its byte ranges moved)", location.file,
                info.episode_id)
    return False


def _read_through_hdf5(location: Location, episode_id: int, outs: tuple[np.ndarray, ...],
                       observation_space: gym.Space, action_space: gym.Space) -> None:
    """Read observations, actions and rewards through HDF5 and check them as a commit would.

    Unlike a hash-verified byte range, these values were not seen by a commit as they are now
    (a file edited in place, an export), so NaN, infinities and out-of-space actions are refused.
    """
    try:
        raw = tuple(zip(schema.RAW_DATASETS, outs, strict=False))
        if isinstance(observation_space, gym.spaces.Dict):  # a group of keys, not one dataset
            with h5py.File(location.file, "r") as file:
                rows = read_observations(file[location.group], schema.OBSERVATIONS,
                                         observation_space)
            if len(rows) < len(outs[0]):
                raise ValueError(f"{len(rows)} observations for {len(outs[0])} steps")
            outs[0][:] = rows[:len(outs[0])]
            raw = raw[1:]
        file_id = open_file_id(location.file)
        try:
            for name, out in raw:
                read_rows(file_id, location.dataset_path(name), out)
        finally:
            file_id.close()
        names = (schema.OBSERVATIONS, schema.ACTIONS, schema.REWARDS)
        problem = next((found for name, out in zip(names, outs, strict=True)
                        if (found := nonfinite_problem(name, out))), None)
        problem = problem or action_space_problem(outs[1], action_space)
        if problem:
            raise UnfitEpisode(problem)
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(location.file, f"episode {episode_id} is unreadable "
                                          f"({describe(exc)})") from None
