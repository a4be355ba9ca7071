"""Read-only dataset sources: single exported files and Minari datasets made elsewhere."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import h5py
import numpy as np

from clonelab.recorder import dataset_fields as check
from clonelab.recorder import schema
from clonelab.recorder.dataset_index import (
    DatasetHeader,
    DatasetIndex,
    EpisodeInfo,
    check_schema_version,
    index_from_root_attrs,
)
from clonelab.recorder.dataset_io import (
    Location,
    UnfitEpisode,
    read_episode_group,
    read_episode_meta,
)
from clonelab.recorder.errors import DatasetError, describe


def open_exported_file(path: Path) -> tuple[DatasetIndex, dict[int, Location]]:
    """The index and episode locations of a file written by ``DemoDataset.export``."""
    if not h5py.is_hdf5(path):
        raise DatasetError(path, "not an HDF5 file")
    try:
        with h5py.File(path, "r") as file:
            if schema.ATTR_SCHEMA_VERSION not in file.attrs:
                hint = ""
                if any(name.startswith(schema.GROUP_PREFIX) for name in file):
                    hint = " (a Minari main_data.hdf5? open its dataset directory instead)"
                raise DatasetError(path, f"an HDF5 file without CloneLab attributes{hint}")
            check_schema_version(path, file.attrs[schema.ATTR_SCHEMA_VERSION])
            index = index_from_root_attrs(file.attrs)
            locations = {
                check.integer(check.required(file[name].attrs, schema.ATTR_ID, name),
                              f"{name}.{schema.ATTR_ID}", minimum=0): Location(path, f"/{name}")
                for name in file if name.startswith(schema.GROUP_PREFIX)}
    except OSError as exc:
        raise DatasetError(path, f"unreadable HDF5, truncated or corrupt ({describe(exc)})"
                           ) from None
    except ValueError as exc:
        raise DatasetError(path, f"malformed CloneLab attributes ({exc})") from None
    if set(locations) != set(index.ids):
        raise DatasetError(path, "its episode groups do not match its episode index")
    return index, locations


def open_minari_dir(data_dir: Path, doc: dict[str, Any]
                    ) -> tuple[DatasetIndex, dict[int, Location]]:
    """Read a Minari dataset's ``data`` folder whole, checking every episode on the way."""
    metadata_file = data_dir / schema.METADATA_FILE
    main_file = data_dir / schema.MAIN_FILE
    if doc.get("data_format", "hdf5") != "hdf5":
        raise DatasetError(metadata_file, f"Minari data format {doc['data_format']!r} is not "
                                          "supported (only hdf5)")
    try:
        observation_space = check.space(check.required(doc, "observation_space", "Minari metadata"),
                                        "observation_space")
        action_space = check.space(check.required(doc, "action_space", "Minari metadata"),
                                   "action_space")
        total_episodes = check.integer(check.required(doc, "total_episodes", "Minari metadata"),
                                       "total_episodes", minimum=0)
        env_spec = check.optional_text(doc.get("env_spec"), "env_spec")
        authors = doc.get("author", [])
        # Minari writes a list of names; a single name is read as one.
        operator = ", ".join((check.text(authors, "author"),) if isinstance(authors, str)
                             else check.text_tuple(authors, "author"))
    except ValueError as exc:
        raise DatasetError(metadata_file, str(exc)) from None
    if doc.get("jpeg_encoding", True) and _minari_jpeg_image(observation_space):
        raise DatasetError(metadata_file, "JPEG-encoded image observations are not supported "
                                          "(write the dataset with jpeg_encoding=False)")
    header = DatasetHeader(
        env_id=schema.env_id_from_spec(env_spec),
        observation_space=observation_space,
        action_space=action_space,
        env_spec=env_spec,
        operator=operator,
        created_at=math.nan,
        schema_version=schema.SCHEMA_VERSION,
        app_version="",
    )
    infos = []
    try:
        with h5py.File(main_file, "r") as file:
            for position in range(total_episodes):
                name = schema.group_name(position)
                group = file[name]
                try:
                    episode = read_episode_group(group, observation_space, action_space)
                except UnfitEpisode as exc:
                    raise DatasetError(main_file, f"{name}: {exc}") from None
                infos.append(EpisodeInfo.summarize(episode, episode_id=position,
                                                   meta=read_episode_meta(group)))
    except OSError as exc:
        raise DatasetError(main_file, f"unreadable HDF5 ({describe(exc)})") from None
    except (KeyError, ValueError) as exc:
        raise DatasetError(main_file, f"not in Minari's layout ({describe(exc)})") from None
    index = DatasetIndex(header=header, episodes=(), next_episode_id=0).with_episodes(infos)
    locations = {info.episode_id: Location(main_file, f"/{schema.group_name(info.episode_id)}")
                 for info in infos}
    return index, locations


def _minari_jpeg_image(space: gym.Space) -> bool:
    # Minari's own rule (minari_storage.is_image_space) for what it JPEG-encodes.
    return (isinstance(space, gym.spaces.Box) and len(space.shape) in (2, 3)
            and space.shape[0] >= 32 and space.shape[1] >= 32 and space.dtype == np.uint8
            and bool(np.all(space.low == 0)) and bool(np.all(space.high == 255)))

