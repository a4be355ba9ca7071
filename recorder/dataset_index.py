"""The dataset index: header, per-episode summaries, and their two on-disk copies.

The episode files are the truth; ``metadata.json`` (Minari's metadata plus a "clonelab"
object) and ``main_data.hdf5`` (external links plus root attributes) are an index over them,
rewritten atomically after each commit and rebuildable from the episode files.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import gymnasium as gym
import h5py
import numpy as np

from clonelab.recorder import dataset_fields as check
from clonelab.recorder import schema
from clonelab.recorder.dataset_io import EpisodeMeta, write_atomically, write_text_atomically
from clonelab.recorder.episode import EpisodeData, content_hash
from clonelab.recorder.errors import DatasetError


@dataclass(frozen=True, kw_only=True)
class EpisodeInfo:
    """A summary of one stored episode, read from the index without opening its file."""

    episode_id: int
    steps: int
    episode_return: float
    seed: int | None
    started_at: float
    """Wall-clock seconds since the epoch at reset (NaN when unknown)."""
    duration_s: float
    fps: float
    terminated: bool
    truncated: bool
    actor_steps: dict[str, int]
    """Steps taken by each actor ("human", "agent", "expert", "unknown")."""
    device_steps: dict[str, int]
    tags: tuple[str, ...]
    notes: str
    operator: str
    app_version: str
    content_hash: str
    raw_offsets: tuple[int, ...] | None = None
    """Where the hashed datasets' bytes start in the episode's file (a verified read shortcut)."""
    file_stamp: tuple[int, ...] | None = None
    """(size, mtime in ns) of the episode's file when indexed: its byte ranges are trusted only
    while the file is unchanged (a dataset rewritten in place leaves its old bytes behind)."""

    @classmethod
    def summarize(cls, episode: EpisodeData, *, episode_id: int, meta: EpisodeMeta,
                  raw_offsets: tuple[int, ...] | None = None,
                  file_stamp: tuple[int, ...] | None = None) -> EpisodeInfo:
        """Summarise a normalised episode."""
        return cls(
            episode_id=episode_id,
            steps=episode.steps,
            episode_return=episode.episode_return,
            seed=episode.seed,
            started_at=float(episode.timestamps[0]),
            duration_s=float(episode.timestamps[-1] - episode.timestamps[0]),
            fps=float(episode.fps),
            terminated=bool(episode.terminations[-1]) if episode.steps else False,
            truncated=bool(episode.truncations[-1]) if episode.steps else False,
            actor_steps=dict(Counter(episode.actors)),
            device_steps=dict(Counter(episode.devices)),
            tags=tuple(meta.tags),
            notes=meta.notes,
            operator=meta.operator,
            app_version=meta.app_version,
            content_hash=content_hash(episode),
            raw_offsets=raw_offsets,
            file_stamp=file_stamp,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN is written as Python's json writes it)."""
        # Not dataclasses.asdict: it deep-copies, and every commit serialises every episode.
        doc = {name: getattr(self, name) for name in _INFO_FIELDS}
        doc["tags"] = list(self.tags)
        return doc

    @classmethod
    def from_json(cls, doc: Any, where: str = "an episode summary") -> EpisodeInfo:
        """Inverse of :meth:`to_json`; ValueError naming the first missing or wrong-typed field.

        Keys this version does not know are ignored.
        """
        doc = check.mapping(doc, where)

        def get(key: str) -> Any:
            return check.required(doc, key, where)

        return cls(
            episode_id=check.integer(get("episode_id"), f"{where}.episode_id", minimum=0),
            steps=check.integer(get("steps"), f"{where}.steps", minimum=1),
            episode_return=check.number(get("episode_return"), f"{where}.episode_return"),
            seed=check.optional_integer(get("seed"), f"{where}.seed"),
            started_at=check.number(get("started_at"), f"{where}.started_at"),
            duration_s=check.number(get("duration_s"), f"{where}.duration_s"),
            fps=check.number(get("fps"), f"{where}.fps"),
            terminated=check.flag(get("terminated"), f"{where}.terminated"),
            truncated=check.flag(get("truncated"), f"{where}.truncated"),
            actor_steps=check.counts(get("actor_steps"), f"{where}.actor_steps"),
            device_steps=check.counts(get("device_steps"), f"{where}.device_steps"),
            tags=check.text_tuple(get("tags"), f"{where}.tags"),
            notes=check.text(get("notes"), f"{where}.notes"),
            operator=check.text(get("operator"), f"{where}.operator"),
            app_version=check.text(get("app_version"), f"{where}.app_version"),
            content_hash=check.text(get("content_hash"), f"{where}.content_hash"),
            raw_offsets=check.naturals(doc.get("raw_offsets"), f"{where}.raw_offsets",
                                       len(schema.RAW_DATASETS)),
            file_stamp=check.naturals(doc.get("file_stamp"), f"{where}.file_stamp", 2),
        )


_INFO_FIELDS = tuple(field.name for field in fields(EpisodeInfo))


@dataclass(frozen=True, kw_only=True)
class DatasetHeader:
    """What a dataset holds, fixed when it is created."""

    env_id: str
    observation_space: gym.Space
    action_space: gym.Space
    env_spec: str | None
    operator: str
    created_at: float
    schema_version: int
    app_version: str


@dataclass(frozen=True, kw_only=True)
class DatasetIndex:
    """An immutable snapshot of a dataset's episodes (swapped whole, so readers never tear)."""

    header: DatasetHeader
    episodes: tuple[EpisodeInfo, ...]
    next_episode_id: int

    @cached_property
    def ids(self) -> tuple[int, ...]:
        return tuple(info.episode_id for info in self.episodes)

    @cached_property
    def by_id(self) -> dict[int, EpisodeInfo]:
        return {info.episode_id: info for info in self.episodes}

    @property
    def total_steps(self) -> int:
        return sum(info.steps for info in self.episodes)

    def with_episodes(self, episodes: list[EpisodeInfo]) -> DatasetIndex:
        """The index holding exactly ``episodes`` (sorted by id); ids are never handed out twice."""
        ordered = tuple(sorted(episodes, key=lambda info: info.episode_id))
        top = max((info.episode_id + 1 for info in ordered), default=0)
        return replace(self, episodes=ordered, next_episode_id=max(self.next_episode_id, top))

    def with_appended(self, info: EpisodeInfo) -> DatasetIndex:
        """The index plus one episode; no sort when its id is the highest (every commit's)."""
        if self.episodes and info.episode_id <= self.episodes[-1].episode_id:
            return self.with_episodes([*self.episodes, info])
        return replace(self, episodes=(*self.episodes, info),
                       next_episode_id=max(self.next_episode_id, info.episode_id + 1))


def metadata_json(index: DatasetIndex, dataset_id: str, dataset_size: float) -> str:
    """The text of metadata.json: every key Minari's writer writes, plus the "clonelab" object.

    ``dataset_size`` is in MB, as Minari's ``MinariStorage.get_size`` gives it.
    """
    header = index.header
    doc: dict[str, Any] = {
        "dataset_id": dataset_id,
        "total_episodes": len(index.episodes),
        "total_steps": index.total_steps,
        "data_format": "hdf5",
        "jpeg_encoding": False,  # Minari would otherwise try to JPEG-decode image observations
        "observation_space": schema.space_to_json(header.observation_space),
        "action_space": schema.space_to_json(header.action_space),
        "minari_version": schema.MINARI_VERSION,
        "dataset_size": dataset_size,
        "algorithm_name": "CloneLab demonstrations",
        "description": f"Demonstrations of {header.env_id or 'an unnamed environment'} "
                       f"recorded with CloneLab {header.app_version}.",
        schema.META_CLONELAB: {
            **_dataset_fields(index),
            schema.META_EPISODES: [info.to_json() for info in index.episodes],
        },
    }
    if header.env_spec is not None:
        doc["env_spec"] = header.env_spec
    if header.operator:
        doc["author"] = [header.operator]
    return json.dumps(doc)  # no indent: the C encoder only serves compact output


def index_from_metadata(doc: Any) -> DatasetIndex:
    """Read the index from a parsed CloneLab metadata.json.

    ValueError naming the first missing or wrong-typed field.
    """
    doc = check.mapping(doc, "the document")
    ours = check.mapping(check.required(doc, schema.META_CLONELAB, "the document"),
                         schema.META_CLONELAB)
    return _index_from(ours, observation_space=check.required(doc, "observation_space",
                                                              "the document"),
                       action_space=check.required(doc, "action_space", "the document"),
                       env_spec=doc.get("env_spec"),
                       episodes=check.required(ours, schema.META_EPISODES,
                                               schema.META_CLONELAB),
                       where=f"{schema.META_CLONELAB}.")


def write_root_attrs(attrs: h5py.AttributeManager, index: DatasetIndex, *,
                     with_episodes: bool) -> None:
    """The dataset attributes of main_data.hdf5, and of an exported file ``with_episodes``.

    main_data.hdf5 leaves the episode summaries to metadata.json (writing them twice at each
    commit doubles its cost); without metadata.json they are rebuilt from the episode files.
    """
    header = index.header
    attrs.update(_dataset_fields(index))
    attrs[schema.ROOT_OBSERVATION_SPACE] = schema.space_to_json(header.observation_space)
    attrs[schema.ROOT_ACTION_SPACE] = schema.space_to_json(header.action_space)
    if header.env_spec is not None:
        attrs[schema.ROOT_ENV_SPEC] = header.env_spec
    if with_episodes:
        attrs[schema.ROOT_EPISODES] = json.dumps([info.to_json() for info in index.episodes])


def index_from_root_attrs(attrs: h5py.AttributeManager) -> DatasetIndex:
    """Read the index from root attributes (ValueError naming a missing or wrong field).

    The episode list is empty when the attributes have none (main_data.hdf5).
    """
    episodes = (check.json_text(attrs[schema.ROOT_EPISODES], schema.ROOT_EPISODES)
                if schema.ROOT_EPISODES in attrs else [])
    return _index_from(attrs, observation_space=check.required(
                           attrs, schema.ROOT_OBSERVATION_SPACE, "the root attributes"),
                       action_space=check.required(attrs, schema.ROOT_ACTION_SPACE,
                                                   "the root attributes"),
                       env_spec=attrs.get(schema.ROOT_ENV_SPEC), episodes=episodes, where="")


def expected_root_attrs(index: DatasetIndex, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The root attributes main_data.hdf5 holds beside metadata.json ``doc`` (read as ``index``)."""
    return {**_dataset_fields(index), schema.ROOT_OBSERVATION_SPACE: doc["observation_space"],
            schema.ROOT_ACTION_SPACE: doc["action_space"],
            schema.ROOT_ENV_SPEC: doc.get("env_spec")}


def root_attrs_match(attrs: h5py.AttributeManager, expected: Mapping[str, Any]) -> bool:
    """Whether ``attrs`` hold exactly the ``expected`` values (None: absent)."""

    def same(held: Any, wanted: Any) -> bool:
        if isinstance(held, np.ndarray) or type(held) is bool or isinstance(held, np.bool_):
            return False
        if isinstance(wanted, float) and math.isnan(wanted):
            return isinstance(held, float | np.floating) and math.isnan(held)
        return bool(held == wanted) and isinstance(held, str) == isinstance(wanted, str)

    return all(same(attrs.get(key), value) for key, value in expected.items())


def _dataset_fields(index: DatasetIndex) -> dict[str, Any]:
    # The same names serve metadata.json's "clonelab" object and the HDF5 root attributes.
    header = index.header
    return {
        schema.ATTR_SCHEMA_VERSION: header.schema_version,
        schema.ATTR_APP_VERSION: header.app_version,
        schema.ATTR_ENV_ID: header.env_id,
        schema.ATTR_OPERATOR: header.operator,
        schema.ROOT_CREATED_AT: header.created_at,
        schema.ROOT_NEXT_EPISODE_ID: index.next_episode_id,
    }


def _index_from(fields: Mapping[str, Any], *, observation_space: Any, action_space: Any,
                env_spec: Any, episodes: Any, where: str) -> DatasetIndex:
    # ``where`` prefixes field names in messages ("clonelab." inside metadata.json).
    def need(key: str) -> Any:
        return check.required(fields, key, where.rstrip(".") or "the root attributes")

    header = DatasetHeader(
        env_id=check.text(need(schema.ATTR_ENV_ID), f"{where}{schema.ATTR_ENV_ID}"),
        observation_space=check.space(observation_space, schema.ROOT_OBSERVATION_SPACE),
        action_space=check.space(action_space, schema.ROOT_ACTION_SPACE),
        env_spec=check.optional_text(env_spec, schema.ROOT_ENV_SPEC),
        operator=check.text(fields.get(schema.ATTR_OPERATOR, ""), f"{where}{schema.ATTR_OPERATOR}"),
        created_at=check.number(fields.get(schema.ROOT_CREATED_AT, math.nan),
                                f"{where}{schema.ROOT_CREATED_AT}"),
        schema_version=check.integer(need(schema.ATTR_SCHEMA_VERSION),
                                     f"{where}{schema.ATTR_SCHEMA_VERSION}", minimum=0),
        app_version=check.text(fields.get(schema.ATTR_APP_VERSION, ""),
                               f"{where}{schema.ATTR_APP_VERSION}"),
    )
    listed = [EpisodeInfo.from_json(item, f"{where}{schema.META_EPISODES}[{position}]")
              for position, item in enumerate(check.items(episodes,
                                                          f"{where}{schema.META_EPISODES}"))]
    counted = Counter(info.episode_id for info in listed)
    twice = sorted(episode_id for episode_id, count in counted.items() if count > 1)
    if twice:
        raise ValueError(f"{where}{schema.META_EPISODES} lists episode {twice[0]} twice")
    next_episode_id = check.integer(need(schema.ROOT_NEXT_EPISODE_ID),
                                    f"{where}{schema.ROOT_NEXT_EPISODE_ID}", minimum=0)
    index = DatasetIndex(header=header, episodes=(), next_episode_id=next_episode_id)
    return index.with_episodes(listed)


def write_index(data_dir: Path, index: DatasetIndex, *, dataset_id: str | None = None) -> str:
    """Rewrite main_data.hdf5 then metadata.json, each atomically; return the dataset id.

    The id is that of ``data_dir``'s parent unless given (a dataset built elsewhere first).

    metadata.json goes last: a kill between the two leaves it listing fewer (or more) episodes
    than the episodes folder holds, which the next open detects and repairs.
    """

    def write_main(tmp: Path) -> None:
        with h5py.File(tmp, "w") as main:
            write_root_attrs(main.attrs, index, with_episodes=False)
            links = main.id.links  # the low-level call: 5x faster for thousands of links
            for position, info in enumerate(index.episodes):
                # Minari reads episode_0..N-1, so links take dense positions; ids stay stable.
                target = f"{schema.EPISODES_DIR}/{schema.episode_file_name(info.episode_id)}"
                links.create_external(schema.group_name(position).encode(), target.encode(),
                                      b"/")

    write_atomically(data_dir / schema.MAIN_FILE, write_main)
    dataset_id = dataset_id or schema.minari_dataset_id(data_dir.parent)
    write_text_atomically(data_dir / schema.METADATA_FILE,
                          metadata_json(index, dataset_id, _size_mb(data_dir)))
    return dataset_id


def _size_mb(data_dir: Path) -> float:
    # Minari's get_size: the files under data/ in MB, to 0.1 (metadata.json as last written).
    total = 0
    for folder in (data_dir, data_dir / schema.EPISODES_DIR):
        with os.scandir(folder) as entries:
            total += sum(entry.stat().st_size for entry in entries
                         if entry.is_file(follow_symlinks=False))
    return round(total / 1e6, 1)


def check_schema_version(path: Path, version: Any) -> None:
    """Refuse a dataset written with a newer schema than this CloneLab reads."""
    version = check.integer(version, schema.ATTR_SCHEMA_VERSION, minimum=0)
    if version > schema.SCHEMA_VERSION:
        raise DatasetError(path, f"written by a newer CloneLab (schema version {version}; "
                                 f"this one reads up to {schema.SCHEMA_VERSION}): update CloneLab")
