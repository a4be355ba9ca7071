"""The dataset index: header, per-episode summaries, and their two on-disk copies.

The episode files are the truth; ``metadata.json`` (Minari's metadata plus a "clonelab"
object) and ``main_data.hdf5`` (external links plus root attributes) are an index over them,
rewritten atomically after each commit and rebuildable from the episode files.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import gymnasium as gym
import h5py

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

    @classmethod
    def summarize(cls, episode: EpisodeData, *, episode_id: int, meta: EpisodeMeta,
                  raw_offsets: tuple[int, ...] | None = None) -> EpisodeInfo:
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
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN is written as Python's json writes it)."""
        # Not dataclasses.asdict: it deep-copies, and every commit serialises every episode.
        doc = {name: getattr(self, name) for name in _INFO_FIELDS}
        doc["tags"] = list(self.tags)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> EpisodeInfo:
        """Inverse of :meth:`to_json`; KeyError or TypeError when a field is missing."""
        offsets = doc.get("raw_offsets")
        return cls(**{**doc, "tags": tuple(doc["tags"]),
                      "raw_offsets": None if offsets is None else tuple(offsets)})


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


def metadata_json(index: DatasetIndex, dataset_id: str) -> str:
    """The text of metadata.json: Minari's keys plus the "clonelab" object."""
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
        "algorithm_name": "CloneLab demonstrations",
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


def index_from_metadata(doc: dict[str, Any]) -> DatasetIndex:
    """Read the index from a parsed CloneLab metadata.json (KeyError/ValueError if malformed)."""
    ours = doc[schema.META_CLONELAB]
    return _index_from(ours, observation_space=doc["observation_space"],
                       action_space=doc["action_space"], env_spec=doc.get("env_spec"),
                       episodes=ours[schema.META_EPISODES])


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
    """Read the index from root attributes (KeyError/ValueError if malformed).

    The episode list is empty when the attributes have none (main_data.hdf5).
    """
    return _index_from(attrs, observation_space=attrs[schema.ROOT_OBSERVATION_SPACE],
                       action_space=attrs[schema.ROOT_ACTION_SPACE],
                       env_spec=attrs.get(schema.ROOT_ENV_SPEC),
                       episodes=json.loads(attrs.get(schema.ROOT_EPISODES, "[]")))


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


def _index_from(fields: Mapping[str, Any], *, observation_space: str, action_space: str,
                env_spec: str | None, episodes: list[dict[str, Any]]) -> DatasetIndex:
    header = DatasetHeader(
        env_id=str(fields[schema.ATTR_ENV_ID]),
        observation_space=schema.space_from_json(observation_space),
        action_space=schema.space_from_json(action_space),
        env_spec=env_spec,
        operator=str(fields.get(schema.ATTR_OPERATOR, "")),
        created_at=float(fields.get(schema.ROOT_CREATED_AT, math.nan)),
        schema_version=int(fields[schema.ATTR_SCHEMA_VERSION]),
        app_version=str(fields.get(schema.ATTR_APP_VERSION, "")),
    )
    index = DatasetIndex(header=header, episodes=(),
                         next_episode_id=int(fields[schema.ROOT_NEXT_EPISODE_ID]))
    return index.with_episodes([EpisodeInfo.from_json(item) for item in episodes])


def write_index(data_dir: Path, index: DatasetIndex) -> None:
    """Rewrite main_data.hdf5 then metadata.json, each atomically.

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
    dataset_id = schema.minari_dataset_id(data_dir.resolve().parent.name)
    write_text_atomically(data_dir / schema.METADATA_FILE, metadata_json(index, dataset_id))


def check_schema_version(path: Path, version: Any) -> None:
    """Refuse a dataset written with a newer schema than this CloneLab reads."""
    if int(version) > schema.SCHEMA_VERSION:
        raise DatasetError(path, f"written by a newer CloneLab (schema version {int(version)}; "
                                 f"this one reads up to {schema.SCHEMA_VERSION}): update CloneLab")
