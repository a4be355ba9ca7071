"""Low-level dataset I/O: atomic file replacement, episode groups, fast row reads, the lock."""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import gymnasium as gym
import h5py
import numpy as np
from h5py import h5d, h5f, h5s

from clonelab.recorder import dataset_fields as check
from clonelab.recorder import schema
from clonelab.recorder.dict_observations import read_observations, write_observations
from clonelab.recorder.episode import EpisodeData, episode_problem, normalized

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a single writer is assumed there
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class EpisodeMeta:
    """What an episode group's attributes say besides its data."""

    episode_id: int | None
    env_id: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""
    operator: str = ""
    app_version: str = ""


class UnfitEpisode(ValueError):
    """A stored episode that a commit would refuse (the message says why, in one line)."""


@dataclass(frozen=True)
class Location:
    """Where an episode group lives: a file and the group's path inside it."""

    file: Path
    group: str = "/"

    def dataset_path(self, name: str) -> str:
        """The path of one of the group's datasets inside the file."""
        return f"{self.group.rstrip('/')}/{name}"


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` via ``write(tmp)``, fsync and rename: a kill leaves old or new, never half.

    The temporary name is unique, so two writers of one path never write into each other's
    file: each rename is whole, and the last one wins.
    """
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(6)}{schema.TMP_SUFFIX}")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_text_atomically(path: Path, text: str) -> None:
    """Atomically replace a text file."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomically(path, write)


def write_episode_group(group: h5py.Group, episode: EpisodeData, *,
                        observation_space: gym.Space, meta: EpisodeMeta
                        ) -> tuple[int, ...] | None:
    """Write a normalised episode and its attributes into an empty group.

    Returns the :func:`raw_offsets` of what it wrote.
    """
    if schema.is_image_space(observation_space):
        frames = episode.observations
        group.create_dataset(schema.OBSERVATIONS, data=frames,
                             chunks=schema.image_chunks(len(frames), frames.shape[1:]),
                             compression=schema.IMAGE_COMPRESSION,
                             compression_opts=schema.IMAGE_COMPRESSION_LEVEL)
    else:  # a Dict's flat rows become a group with a dataset per key, as Minari stores them
        write_observations(group, schema.OBSERVATIONS, observation_space, episode.observations)
    group.create_dataset(schema.ACTIONS, data=episode.actions)
    if episode.played_actions is not None:
        group.create_dataset(schema.PLAYED_ACTIONS, data=episode.played_actions)
    group.create_dataset(schema.REWARDS, data=episode.rewards)
    group.create_dataset(schema.TERMINATIONS, data=episode.terminations)
    group.create_dataset(schema.TRUNCATIONS, data=episode.truncations)
    group.create_dataset(schema.TIMESTAMPS, data=episode.timestamps)
    for name, values, codes, dtype in (
            (schema.ACTORS, episode.actors, schema.ACTOR_CODES, schema.ACTOR_DTYPE),
            (schema.DEVICES, episode.devices, schema.DEVICE_CODES, schema.DEVICE_DTYPE)):
        group.create_dataset(name, data=np.array([codes[v] for v in values], np.uint8),
                             dtype=dtype)
    attrs = group.attrs
    attrs[schema.ATTR_ID] = meta.episode_id
    attrs[schema.ATTR_TOTAL_STEPS] = episode.steps
    if episode.seed is not None:
        attrs[schema.ATTR_SEED] = episode.seed
    if episode.options is not None:
        attrs[schema.ATTR_OPTIONS] = schema.to_json(episode.options)
    attrs[schema.ATTR_FPS] = episode.fps
    attrs[schema.ATTR_TAGS] = json.dumps(list(meta.tags))
    attrs[schema.ATTR_NOTES] = meta.notes
    attrs[schema.ATTR_OPERATOR] = meta.operator
    attrs[schema.ATTR_ENV_ID] = meta.env_id
    attrs[schema.ATTR_APP_VERSION] = meta.app_version
    attrs[schema.ATTR_SCHEMA_VERSION] = schema.SCHEMA_VERSION
    return raw_offsets(group)


def raw_offsets(group: h5py.Group) -> tuple[int, ...] | None:
    """Byte offsets of the RAW_DATASETS in the file, or None unless all are stored contiguous.

    Reading a million steps spread over thousands of small files is dominated by HDF5's cost
    of opening each file (~0.2 ms); reading these byte ranges directly is 20x faster, and the
    content hash checks what was read. Dict observations (a group of keys) are read through
    HDF5.
    """
    if not isinstance(group[schema.OBSERVATIONS], h5py.Dataset):
        return None
    offsets = [group[name].id.get_offset() for name in schema.RAW_DATASETS]
    return None if None in offsets else tuple(int(offset) for offset in offsets)


def file_stamp(path: Path) -> tuple[int, int]:
    """(size, mtime in ns) of a file: it changes whenever the file is written to."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def read_raw(path: Path, offsets: tuple[int, ...], buffers: tuple[np.ndarray, ...]) -> None:
    """Fill each contiguous buffer from the bytes at its offset; OSError on a short read."""
    with open(path, "rb", buffering=0) as file:
        for offset, buffer in zip(offsets, buffers, strict=True):
            view = buffer.data.cast("B")
            file.seek(offset)
            if file.readinto(view) != view.nbytes:
                raise OSError(f"{path} ends before byte {offset + view.nbytes}")


def read_episode_group(group: h5py.Group, observation_space: gym.Space,
                       action_space: gym.Space) -> EpisodeData:
    """Read an episode written by CloneLab or by Minari (unrecorded fields become unknown).

    The episode is checked as a commit checks it (``episode_problem``, on the values as
    stored, before any cast) and returned normalised. Raises KeyError or ValueError on a
    missing or malformed dataset, UnfitEpisode (a ValueError) on one a commit would refuse.
    """
    episode = _read_group(group, observation_space)
    problem = episode_problem(episode, observation_space, action_space)
    if problem:
        raise UnfitEpisode(problem)
    return normalized(episode, observation_space, action_space)


def _read_group(group: h5py.Group, observation_space: gym.Space) -> EpisodeData:
    # Observations and actions as stored: only a check may decide they fit the spaces.
    observations = read_observations(group, schema.OBSERVATIONS, observation_space)
    actions = _read(group, schema.ACTIONS)
    rewards = _read(group, schema.REWARDS).astype(schema.REWARD_DTYPE, copy=False)
    steps = len(rewards)
    if schema.TIMESTAMPS in group:
        timestamps = _read(group, schema.TIMESTAMPS).astype(schema.TIMESTAMP_DTYPE, copy=False)
    else:
        timestamps = np.full(steps + 1, np.nan, dtype=schema.TIMESTAMP_DTYPE)
    return EpisodeData(
        observations=observations,
        actions=actions,
        rewards=rewards,
        terminations=_read(group, schema.TERMINATIONS).astype(schema.FLAG_DTYPE, copy=False),
        truncations=_read(group, schema.TRUNCATIONS).astype(schema.FLAG_DTYPE, copy=False),
        timestamps=timestamps,
        actors=_read_names(group, schema.ACTORS, steps),
        devices=_read_names(group, schema.DEVICES, steps),
        seed=_attribute(group, schema.ATTR_SEED, None, check.integer),
        options=read_options(group),
        fps=_attribute(group, schema.ATTR_FPS, math.nan, check.number),
        played_actions=_read(group, schema.PLAYED_ACTIONS)
        if schema.PLAYED_ACTIONS in group else None,
    )


def read_episode_meta(group: h5py.Group) -> EpisodeMeta:
    """The non-data attributes of an episode group (defaults for Minari's groups).

    A wrong-typed attribute is logged and read as unknown: it must not cost the steps.
    """
    return EpisodeMeta(
        episode_id=_attribute(group, schema.ATTR_ID, None,
                              lambda value, name: check.integer(value, name, minimum=0)),
        env_id=_attribute(group, schema.ATTR_ENV_ID, "", check.text),
        tags=_attribute(group, schema.ATTR_TAGS, (),
                        lambda value, name: check.text_tuple(check.json_text(value, name), name)),
        notes=_attribute(group, schema.ATTR_NOTES, "", check.text),
        operator=_attribute(group, schema.ATTR_OPERATOR, "", check.text),
        app_version=_attribute(group, schema.ATTR_APP_VERSION, "", check.text),
    )


def read_rows(file_id: h5f.FileID, path: str, out: np.ndarray) -> None:
    """Read the first ``len(out)`` rows of the dataset at ``path`` straight into ``out``.

    h5py's low-level API: opening files and datasets through the high-level one costs about
    twice as much, which dominates when a million steps are spread over thousands of files.
    """
    dataset = h5d.open(file_id, path.encode())
    if not np.can_cast(dataset.dtype, out.dtype, "same_kind"):  # HDF5 would convert silently
        raise ValueError(f"{path.rsplit('/', 1)[-1]} have dtype {dataset.dtype}, expected "
                         f"{out.dtype}")
    space = dataset.get_space()
    shape = space.shape
    if shape[0] < out.shape[0] or tuple(shape[1:]) != out.shape[1:]:
        raise ValueError(f"{path} has shape {shape}, expected {out.shape[0]}+ rows of "
                         f"{out.shape[1:]}")
    count = (out.shape[0], *shape[1:])
    space.select_hyperslab((0,) * len(shape), count)
    dataset.read(h5s.create_simple(count), space, out)


def open_file_id(path: Path) -> h5f.FileID:
    """Open an HDF5 file read-only through the low-level API (close it with ``.close()``)."""
    return h5f.open(os.fsencode(path), h5f.ACC_RDONLY)


class WriterLock:
    """An advisory lock on ``<data>/.lock`` that serialises writers across processes and threads.

    Each instance opens its own descriptor, so two DemoDataset objects in one process exclude
    each other as two processes do (flock locks belong to the open file).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take the lock; with ``blocking=False`` return False when another writer holds it."""
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock back (closing the descriptor releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(group: h5py.Group, name: str) -> np.ndarray:
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{name} is not a dataset")
    return np.asarray(dataset[()])


def _read_names(group: h5py.Group, name: str, steps: int) -> tuple[str, ...]:
    if name not in group:
        return (schema.UNKNOWN,) * steps
    dataset = group[name]
    mapping = h5py.check_enum_dtype(dataset.dtype)
    if mapping is None:
        raise ValueError(f"{name} is not an enum dataset")
    by_code = {code: label for label, code in mapping.items()}
    return tuple(by_code[int(code)] for code in dataset[()])


def _attribute(group: h5py.Group, name: str, default: T, read: Callable[[Any, str], T]) -> T:
    """``read(value, name)`` of one attribute; ``default`` when absent or (logged) malformed."""
    if name not in group.attrs:
        return default
    try:
        return read(group.attrs[name], name)
    except ValueError as exc:
        where = group.file.filename + ("" if group.name == "/" else f":{group.name}")
        logger.warning("%s: attribute %s ignored, read as unknown (%s)", where, name, exc)
        return default


def read_options(group: h5py.Group) -> dict[str, Any] | None:
    """The reset options stored with an episode group (CloneLab's JSON or Minari's keys)."""
    attrs = group.attrs
    if schema.ATTR_OPTIONS in attrs:
        def read(value: Any, name: str) -> dict[str, Any]:
            return dict(check.mapping(check.json_text(value, name), name))

        return _attribute(group, schema.ATTR_OPTIONS, None, read)
    flat = {key[len(schema.MINARI_OPTIONS_PREFIX):]: value for key, value in attrs.items()
            if key.startswith(schema.MINARI_OPTIONS_PREFIX)}
    if not flat:
        return None
    options: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split("/")
        node = options
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value.tolist() if isinstance(value, np.ndarray | np.generic) else value
    return options
