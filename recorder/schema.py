"""The on-disk schema of CloneLab demo datasets: names, dtypes, attributes and versions.

Every key, dtype and attribute name the dataset code writes or reads lives here, and
docs/dataset-format.md documents each of them. The layout follows Minari 0.5.4 so that
``minari.load_dataset`` reads a CloneLab dataset with no conversion.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import h5py
import numpy as np
from gymnasium.envs.registration import WrapperSpec

from clonelab.recorder.dict_observations import check_flattenable, flat_space

SCHEMA_VERSION = 1
"""Bumped whenever the meaning of a stored name changes; readers refuse newer versions."""

MINARI_VERSION = "0.5.4"
"""The Minari dataset format version written into metadata.json."""

# --- directory layout: <dataset>/data/{metadata.json, main_data.hdf5, episodes/} ---
DATA_DIR = "data"
EPISODES_DIR = "episodes"
MAIN_FILE = "main_data.hdf5"
METADATA_FILE = "metadata.json"
LOCK_FILE = ".lock"
JOURNAL_FILE = "episodes.jsonl"  # <data>/episodes.jsonl: one line per commit since the last sync
TMP_SUFFIX = ".tmp"
QUARANTINE_DIR = "quarantine"  # <data>/quarantine: bad episode files set aside, never deleted
QUARANTINE_REASONS = "reasons.txt"  # one line per file set aside: when, which, why
GROUP_PREFIX = "episode_"
_EPISODE_FILE_RE = re.compile(r"^episode_(\d+)\.hdf5$")
_MINARI_ID_RE = re.compile(r"(?:[-_\w][-_\w/]*[-_\w]+/)?[-_\w]+-v\d+")
"""Minari's dataset ids, ``(namespace/)name-v<N>`` (minari.dataset.minari_dataset)."""

# --- datasets of an episode group (T steps) ---
OBSERVATIONS = "observations"  # T+1 rows, the observation space's dtype
ACTIONS = "actions"  # T rows, the action space's dtype
# T rows, the action space's dtype; only where the env was stepped with other actions than the
# recorded ones (labels: clean-labelled expert demos, DAgger's labelled episodes)
PLAYED_ACTIONS = "played_actions"
REWARDS = "rewards"  # T rows, float64
TERMINATIONS = "terminations"  # T rows, bool
TRUNCATIONS = "truncations"  # T rows, bool
TIMESTAMPS = "timestamps"  # T+1 rows, float64 seconds since the epoch
ACTORS = "actors"  # T rows, enum uint8 (ACTOR_NAMES)
DEVICES = "devices"  # T rows, enum uint8 (DEVICE_NAMES)
RAW_DATASETS = (OBSERVATIONS, ACTIONS, REWARDS, TERMINATIONS, TRUNCATIONS)
"""The datasets an episode's content hash covers, in hashing order."""
REWARD_DTYPE = np.dtype(np.float64)
FLAG_DTYPE = np.dtype(np.bool_)
TIMESTAMP_DTYPE = np.dtype(np.float64)

ACTOR_NAMES = ("human", "agent", "expert")
DEVICE_NAMES = ("keyboard", "gamepad", "policy", "script")
UNKNOWN = "unknown"
"""Actor and device of steps read from datasets that did not record them."""
UNKNOWN_CODE = 255
ACTOR_CODES = {**{name: code for code, name in enumerate(ACTOR_NAMES)}, UNKNOWN: UNKNOWN_CODE}
DEVICE_CODES = {**{name: code for code, name in enumerate(DEVICE_NAMES)}, UNKNOWN: UNKNOWN_CODE}
ACTOR_DTYPE = h5py.enum_dtype(ACTOR_CODES, basetype=np.uint8)
DEVICE_DTYPE = h5py.enum_dtype(DEVICE_CODES, basetype=np.uint8)

# --- attributes of an episode group ---
ATTR_ID = "id"  # Minari: the episode id (stable, never reused)
ATTR_TOTAL_STEPS = "total_steps"  # Minari: T
ATTR_SEED = "seed"  # Minari: reset seed, absent when None
ATTR_OPTIONS = "options"  # reset options as JSON text, absent when None
ATTR_FPS = "fps"  # measured steps per second while recording
ATTR_TAGS = "tags"  # JSON list of strings
ATTR_NOTES = "notes"
ATTR_OPERATOR = "operator"
ATTR_ENV_ID = "env_id"
ATTR_APP_VERSION = "app_version"
ATTR_SCHEMA_VERSION = "clonelab_schema_version"
MINARI_OPTIONS_PREFIX = "options/"  # Minari flattens reset options into options/<key> attrs

# --- root attributes of main_data.hdf5 and of an exported single file ---
ROOT_OBSERVATION_SPACE = "observation_space"  # Minari space JSON
ROOT_ACTION_SPACE = "action_space"  # Minari space JSON
ROOT_ENV_SPEC = "env_spec"  # gymnasium EnvSpec JSON, absent when unknown
ROOT_CREATED_AT = "created_at"  # seconds since the epoch
ROOT_NEXT_EPISODE_ID = "next_episode_id"
ROOT_EPISODES = "episodes"  # exported files only: JSON list of EpisodeInfo summaries
# ATTR_SCHEMA_VERSION, ATTR_APP_VERSION, ATTR_ENV_ID and ATTR_OPERATOR are root attributes too.

# --- metadata.json: Minari's keys plus one "clonelab" object ---
META_CLONELAB = "clonelab"
META_EPISODES = ROOT_EPISODES

# --- storage of image observations ---
IMAGE_COMPRESSION = "gzip"
IMAGE_COMPRESSION_LEVEL = 1
FRAMES_PER_CHUNK = 32
EXPORT_FILE_LIBVER = "v110"  # dense attribute storage: the episodes attribute may exceed 64 KiB

_SUPPORTED_SPACES = (gym.spaces.Box, gym.spaces.Discrete, gym.spaces.MultiDiscrete,
                     gym.spaces.MultiBinary)


def episode_file_name(episode_id: int) -> str:
    """Name of the file holding one committed episode."""
    return f"{GROUP_PREFIX}{episode_id}.hdf5"


def parse_episode_file_name(name: str) -> int | None:
    """Episode id of an episode file name, or None for any other name."""
    match = _EPISODE_FILE_RE.match(name)
    return int(match.group(1)) if match else None


def group_name(index: int) -> str:
    """Minari's name for the episode at dense position ``index``."""
    return f"{GROUP_PREFIX}{index}"


def is_image_space(space: gym.Space) -> bool:
    """True for uint8 Box spaces of 2 or 3 dims, which are stored chunked and compressed."""
    return (isinstance(space, gym.spaces.Box) and space.dtype == np.uint8
            and len(space.shape) in (2, 3))


def image_chunks(rows: int, frame_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Chunk shape of whole frames; h5py's automatic shape splits channels and is 2-4x slower."""
    return (max(1, min(FRAMES_PER_CHUNK, rows)), *frame_shape)


def row_shape(space: gym.Space) -> tuple[int, ...]:
    """The shape of one element of a supported space as held in memory (a Dict's flat
    vector; gymnasium types shapes as optional)."""
    return tuple(flat_space(space).shape or ())


def row_dtype(space: gym.Space) -> np.dtype:
    """The dtype of one element of a supported space as held in memory (a Dict's flat one)."""
    return np.dtype(flat_space(space).dtype)


def check_space(space: gym.Space) -> None:
    """Raise ValueError when ``space`` is not one the dataset can store."""
    if isinstance(space, gym.spaces.Dict):
        check_flattenable(space)
    elif not isinstance(space, _SUPPORTED_SPACES):
        raise ValueError(f"unsupported space {space} (Box, Discrete, MultiDiscrete, "
                         "MultiBinary and Dicts of Box and Discrete are supported)")


def space_to_json(space: gym.Space) -> str:
    """Serialise a space as Minari does (``minari.serialization.serialize_space``)."""
    check_space(space)
    return json.dumps(_space_doc(space))


def _space_doc(space: gym.Space) -> dict[str, Any]:
    if isinstance(space, gym.spaces.Dict):
        return {"type": "Dict",
                "subspaces": {key: _space_doc(sub) for key, sub in space.spaces.items()}}
    if isinstance(space, gym.spaces.Box):
        doc: dict[str, Any] = {"type": "Box", "dtype": str(space.dtype),
                               "shape": list(space.shape), "low": space.low.tolist(),
                               "high": space.high.tolist()}
    elif isinstance(space, gym.spaces.Discrete):
        doc = {"type": "Discrete", "dtype": "int64", "start": int(space.start), "n": int(space.n)}
    elif isinstance(space, gym.spaces.MultiDiscrete):
        doc = {"type": "MultiDiscrete", "dtype": str(space.dtype), "nvec": space.nvec.tolist(),
               "start": space.start.tolist()}
    elif isinstance(space, gym.spaces.MultiBinary):
        doc = {"type": "MultiBinary", "n": space.n}
    return doc


def space_from_json(text: str) -> gym.Space:
    """Read a space written by :func:`space_to_json` or by Minari; ValueError if unsupported."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise ValueError("space JSON nested too deep") from None
    space = _space_from_doc(doc)
    check_space(space)
    return space


def _subspace_from_doc(key: str, doc: Any) -> gym.Space:
    try:
        return _space_from_doc(doc)
    except ValueError as exc:
        raise ValueError(f"key {key!r}: {exc}") from None


def _space_from_doc(doc: Any) -> gym.Space:
    kind = doc.get("type") if isinstance(doc, dict) else None
    try:
        if kind == "Dict":
            return gym.spaces.Dict({key: _subspace_from_doc(key, sub)
                                    for key, sub in dict(doc["subspaces"]).items()})
        if kind == "Box":
            dtype = np.dtype(doc["dtype"])
            return gym.spaces.Box(low=np.array(doc["low"], dtype=dtype),
                                  high=np.array(doc["high"], dtype=dtype),
                                  shape=tuple(doc["shape"]), dtype=dtype)
        if kind == "Discrete":
            return gym.spaces.Discrete(n=doc["n"], start=doc.get("start", 0))
        if kind == "MultiDiscrete":
            return gym.spaces.MultiDiscrete(nvec=doc["nvec"], dtype=doc["dtype"],
                                            start=doc.get("start"))
        if kind == "MultiBinary":
            return gym.spaces.MultiBinary(n=doc["n"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed {kind} space: missing or bad {exc}") from exc
    raise ValueError(f"unsupported space type {kind!r}")


def to_json(value: Any) -> str:
    """JSON text of ``value``, turning numpy scalars and arrays into plain values."""

    def plain(obj: Any) -> Any:
        if isinstance(obj, np.generic | np.ndarray):
            return obj.tolist()
        raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")

    return json.dumps(value, default=plain)


def env_spec_json(env_id: str, wrappers: Sequence[WrapperSpec] = ()) -> str | None:
    """The registered EnvSpec of ``env_id`` as JSON (Minari reads it), else a bare spec or None.

    ``wrappers`` (with their arguments) are added to its ``additional_wrappers``: Minari's
    ``recover_environment`` applies them, so the env it rebuilds observes as the recorded one.
    """
    spec = gym.envs.registry.get(env_id) or gym.envs.registration.EnvSpec(id=env_id)
    try:
        if wrappers:
            spec = dataclasses.replace(spec, additional_wrappers=(*spec.additional_wrappers,
                                                                  *wrappers))
        return spec.to_json()
    except (ValueError, TypeError, gym.error.Error):
        return None  # unserialisable kwargs or an id gymnasium cannot parse


def env_id_from_spec(spec_json: str | None) -> str:
    """The env id inside an EnvSpec JSON text ("" when absent)."""
    if not spec_json:
        return ""
    try:
        doc = json.loads(spec_json)
    except (json.JSONDecodeError, RecursionError):
        return ""
    return str(doc.get("id", "")) if isinstance(doc, dict) else ""


def minari_dataset_id(dataset_dir: Path) -> str:
    """The Minari dataset id of a dataset directory.

    Inside Minari's datasets folder (``$MINARI_DATASETS_PATH``, else ``~/.minari/datasets``)
    it is the path from there (``namespace/name-v<N>``), which Minari requires to list and
    load it; elsewhere the directory's name, made a valid ``name-v<N>`` when it is not one.
    """
    root = Path(os.environ.get("MINARI_DATASETS_PATH")
                or Path.home() / ".minari" / "datasets").resolve()
    resolved = dataset_dir.resolve()
    if resolved.is_relative_to(root):
        relative = resolved.relative_to(root).as_posix()
        if _MINARI_ID_RE.fullmatch(relative):
            return relative
    name = resolved.name
    if _MINARI_ID_RE.fullmatch(name):
        return name
    stem = re.sub(r"[^-_\w]+", "-", name).strip("-") or "clonelab"
    return f"{stem}-v0"


@functools.cache  # read from the installed metadata once: it costs ~1 ms, at every commit
def app_version() -> str:
    """The installed CloneLab version, or "0+unknown" when run from an uninstalled tree."""
    try:
        return importlib.metadata.version("clonelab")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
