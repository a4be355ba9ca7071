"""Dict observations: flattened by key for everything in memory, one HDF5 dataset per key on disk.

A Dict observation space (gymnasium-robotics' ``observation``, ``achieved_goal``,
``desired_goal``) is held in memory as one flat vector per step, the keys in the space's order
(gymnasium sorts them) and each entry flattened as ``gymnasium.spaces.flatten`` does (a Box's
values row by row, a Discrete one-hot). Episodes, transitions, policies and their histories all
read these vectors. On disk an episode's ``observations`` is a group with one dataset per key,
as Minari stores Dict observations, so ``minari.load_dataset`` reads them as dicts.

Only Dicts of Box, Discrete and nested Dicts flatten; any other entry (Text, Sequence, Graph,
Tuple, ...) is refused in one line naming its key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import gymnasium as gym
import h5py
import numpy as np

__all__ = [
    "check_flattenable",
    "flat_space",
    "flatten_batch",
    "flatten_observation",
    "read_observations",
    "write_observations",
]


def _leaves(space: gym.spaces.Dict, prefix: str = "") -> Iterator[tuple[str, gym.Space]]:
    """(key path, space) of every non-Dict entry, in the space's order ("outer/inner")."""
    for key, sub in space.spaces.items():
        path = f"{prefix}{key}"
        if isinstance(sub, gym.spaces.Dict):
            yield from _leaves(sub, f"{path}/")
        else:
            yield path, sub


def check_flattenable(space: gym.Space) -> None:
    """Raise ValueError, naming the key, for a Dict holding an entry CloneLab cannot flatten."""
    if not isinstance(space, gym.spaces.Dict):
        return
    if not space.spaces:
        raise ValueError("the Dict observation space has no keys")
    for path, sub in _leaves(space):
        if not isinstance(sub, gym.spaces.Box | gym.spaces.Discrete):
            raise ValueError(f"observation key {path!r} is {sub}: CloneLab flattens Dict "
                             "observations of Box and Discrete entries only")


def flat_space(space: gym.Space) -> gym.Space:
    """The space of the rows CloneLab holds: a Dict's flat Box, any other space itself."""
    if not isinstance(space, gym.spaces.Dict):
        return space
    check_flattenable(space)
    return gym.spaces.flatten_space(space)


def _value(tree: Mapping[str, Any], path: str) -> Any:
    node: Any = tree
    for key in path.split("/"):
        if not isinstance(node, Mapping) or key not in node:
            raise ValueError(f"the observation has no key {path!r}")
        node = node[key]
    return node


def flatten_batch(space: gym.Space, observations: Any) -> np.ndarray:
    """(N, d) flat rows of N Dict observations given as a dict of (N, ...) arrays (a vector
    env's batch); arrays (rows already flat, or a space that is not a Dict) pass through."""
    if not isinstance(space, gym.spaces.Dict) or not isinstance(observations, Mapping):
        return np.asarray(observations)
    dtype = _flat_dtype(space)
    columns = []
    for path, sub in _leaves(space):
        values = np.asarray(_value(observations, path))
        if isinstance(sub, gym.spaces.Discrete):
            one_hot = np.zeros((len(values), int(sub.n)), dtype)
            one_hot[np.arange(len(values)), values.astype(np.int64) - int(sub.start)] = 1
            columns.append(one_hot)
        else:
            columns.append(values.reshape(len(values), -1).astype(dtype, copy=False))
    return np.concatenate(columns, axis=1)


def flatten_observation(space: gym.Space, observation: Any) -> np.ndarray:
    """One observation as CloneLab holds it: a Dict's flat vector, anything else as an array."""
    if not isinstance(space, gym.spaces.Dict) or not isinstance(observation, Mapping):
        return np.asarray(observation)
    return np.asarray(gym.spaces.flatten(space, observation), dtype=_flat_dtype(space))


def _flat_dtype(space: gym.spaces.Dict) -> np.dtype:
    """The dtype of `flat_space(space)` without building it (this runs every step)."""
    return np.result_type(*(np.dtype(sub.dtype) for _, sub in _leaves(space)))


def _nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split("/")
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return tree


def _split(space: gym.spaces.Dict, rows: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """(key path, the key's values in its own dtype and shape) of (N, d) flat rows."""
    start = 0
    for path, sub in _leaves(space):
        width = gym.spaces.flatdim(sub)
        block = rows[:, start:start + width]
        start += width
        if isinstance(sub, gym.spaces.Discrete):
            yield path, (np.argmax(block, axis=1) + int(sub.start)).astype(np.int64)
        else:
            yield path, block.reshape(len(rows), *(sub.shape or ())).astype(sub.dtype)


def write_observations(group: h5py.Group, name: str, space: gym.Space, rows: np.ndarray,
                       **options: Any) -> None:
    """Write flat rows of a Dict space as Minari does: a group `name` with a dataset per key
    (nested Dicts as nested groups). Other spaces get one dataset with `options`."""
    if not isinstance(space, gym.spaces.Dict):
        group.create_dataset(name, data=rows, **options)
        return
    for path, values in _split(space, rows):
        group.create_dataset(f"{name}/{path}", data=values)


def read_observations(group: h5py.Group, name: str, space: gym.Space) -> np.ndarray:
    """The observations stored under `name` as CloneLab holds them (flat rows for a Dict);
    KeyError for a missing key, ValueError for a key stored in another shape."""
    item = group[name]
    if not isinstance(space, gym.spaces.Dict):
        if not isinstance(item, h5py.Dataset):
            raise ValueError(f"{name} is not a dataset")
        return np.asarray(item[()])
    if not isinstance(item, h5py.Group):
        raise ValueError(f"{name} is one dataset, but the observation space is a Dict")
    values: dict[str, np.ndarray] = {}
    for path, sub in _leaves(space):
        stored = item[path]
        if not isinstance(stored, h5py.Dataset):
            raise ValueError(f"{name}/{path} is not a dataset")
        values[path] = np.asarray(stored[()])
        expected = tuple(sub.shape or ())
        if values[path].shape[1:] != expected:
            raise ValueError(f"{name}/{path} has rows of shape {values[path].shape[1:]}, "
                             f"expected {expected}")
    lengths = {len(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"the keys of {name} have different numbers of rows")
    return flatten_batch(space, _nested(values))
