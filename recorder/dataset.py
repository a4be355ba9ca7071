"""DemoDataset: the HDF5 demo dataset that play sessions record into and training reads.

A CloneLab dataset is a directory in Minari's layout (``minari.load_dataset`` reads it as is)
with one file per committed episode, so a crash never costs a committed episode. The same
class opens a single exported ``.hdf5`` file and Minari datasets made elsewhere, read-only.
The format is documented in docs/dataset-format.md; names and versions live in recorder.schema.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import gymnasium as gym
import h5py
import numpy as np

from clonelab.recorder import schema
from clonelab.recorder.catalog import added_wrappers
from clonelab.recorder.dataset_chunks import read_actions, read_chunks
from clonelab.recorder.dataset_index import (
    DatasetHeader,
    DatasetIndex,
    EpisodeInfo,
    write_root_attrs,
)
from clonelab.recorder.dataset_io import (
    EpisodeMeta,
    Location,
    read_episode_group,
    write_atomically,
    write_episode_group,
)
from clonelab.recorder.dataset_reads import Transitions, read_transitions
from clonelab.recorder.dataset_sources import open_exported_file, open_minari_dir
from clonelab.recorder.dataset_store import DirectoryStore
from clonelab.recorder.episode import EpisodeData, episode_problem, normalized
from clonelab.recorder.errors import DatasetError, describe

__all__ = ["DatasetError", "DemoDataset", "EpisodeData", "EpisodeInfo", "Transitions"]

logger = logging.getLogger(__name__)


class DemoDataset:
    """A dataset of demo episodes; create with :meth:`create`, open with :meth:`open`."""

    def __init__(self, path: Path, index: DatasetIndex, *, store: DirectoryStore | None = None,
                 locations: dict[int, Location] | None = None) -> None:
        """Use :meth:`create` or :meth:`open`; ``locations`` serve read-only sources."""
        self._path = path
        self._index = index
        self._store = store
        self._locations = locations or {}
        self.repair_note: str | None = None
        """One line when opening had to rebuild the index (why, and from how many files)."""

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, env_id: str,
               observation_space: gym.Space, action_space: gym.Space,
               operator: str = "") -> DemoDataset:
        """Create an empty dataset directory at ``path`` (which must not hold anything yet).

        Of several writers creating the same path at once exactly one succeeds; the others get
        a DatasetError ("already exists") and leave nothing behind.
        """
        root = Path(path)
        if _occupied(root):
            raise DatasetError(root, _OCCUPIED)
        for space in (observation_space, action_space):
            try:
                schema.check_space(space)
            except ValueError as exc:
                raise DatasetError(root, str(exc)) from None
        header = DatasetHeader(env_id=env_id, observation_space=observation_space,
                               action_space=action_space,
                               env_spec=schema.env_spec_json(env_id, added_wrappers(env_id)),
                               operator=operator, created_at=time.time(),
                               schema_version=schema.SCHEMA_VERSION,
                               app_version=schema.app_version())
        index = DatasetIndex(header=header, episodes=(), next_episode_id=0)
        try:
            store = DirectoryStore.create(root, index)
        except FileExistsError:
            raise DatasetError(root, _OCCUPIED) from None
        except OSError as exc:
            raise DatasetError(root, f"cannot create the dataset ({describe(exc)})") from None
        return cls(root, index, store=store)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike[str], *, env_id: str,
                       observation_space: gym.Space, action_space: gym.Space,
                       operator: str = "") -> DemoDataset:
        """Open the dataset at ``path`` to append to it, creating it when there is none yet.

        Safe when several writers start at once: one creates it and the others open it.
        Refuses (DatasetError) a dataset of another env or with other spaces.
        """
        root = Path(path)
        try:
            return cls.create(root, env_id=env_id, observation_space=observation_space,
                              action_space=action_space, operator=operator)
        except DatasetError:
            if not _occupied(root):
                raise  # refused for another reason than an existing dataset
        dataset = cls.open(root, env_id=env_id)
        for kind, held, wanted in (("observations", dataset.observation_space, observation_space),
                                   ("actions", dataset.action_space, action_space)):
            if held != wanted:
                raise DatasetError(root, f"holds {kind} in {held}, not in {wanted}")
        return dataset

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, env_id: str | None = None) -> DemoDataset:
        """Open a CloneLab dataset directory, an exported ``.hdf5`` file or a Minari dataset.

        With ``env_id``, refuse a dataset recorded in another environment. Raises DatasetError
        with one line naming the file and the problem; a refused file is left untouched.
        """
        root = Path(path)
        if not root.exists():
            raise DatasetError(root, "no such file or directory")
        if not root.is_dir():
            index, locations = open_exported_file(root)
            return cls._checked(root, index, env_id, locations=locations)
        data_dir = root / schema.DATA_DIR if (root / schema.DATA_DIR).is_dir() else root
        metadata_file = data_dir / schema.METADATA_FILE
        if not metadata_file.exists() and not (data_dir / schema.MAIN_FILE).exists():
            raise DatasetError(root, "not a dataset directory (no data/metadata.json)")
        doc = _read_json(metadata_file)
        # Minari writes no episodes folder: with one, a metadata.json that lost its "clonelab"
        # object is a damaged CloneLab index, rebuilt from the episode files.
        if (isinstance(doc, dict) and schema.META_CLONELAB not in doc
                and not (data_dir / schema.EPISODES_DIR).is_dir()):
            index, locations = open_minari_dir(data_dir, doc)
            return cls._checked(root, index, env_id, locations=locations)
        store = DirectoryStore(data_dir)
        index, problem = store.read_index()
        cls._checked(root, index, env_id)
        note = None
        try:
            locked = store.lock.acquire(blocking=False)
            try:
                index, note = store.repair(index, problem, locked=locked)
            finally:
                store.lock.release()
        except OSError as exc:  # a read-only copy, say: it still reads
            logger.warning("%s: could not check the index (%s)", data_dir, describe(exc))
        dataset = cls(root, index, store=store)
        dataset.repair_note = note
        return dataset

    @classmethod
    def _checked(cls, path: Path, index: DatasetIndex, env_id: str | None,
                 locations: dict[int, Location] | None = None) -> DemoDataset:
        dataset = cls(path, index, locations=locations)
        if env_id is not None:
            dataset.check_env(env_id)
        return dataset

    def check_env(self, env_id: str) -> None:
        """Raise DatasetError unless this dataset holds demos of ``env_id``."""
        recorded = self._index.header.env_id
        if recorded != env_id:
            raise DatasetError(self._path, f"holds demos of "
                                           f"{recorded or 'an unnamed environment'}, not {env_id}")

    # --- what it holds ---------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The dataset directory or file this object was opened from."""
        return self._path

    @property
    def read_only(self) -> bool:
        """True for exported files and Minari datasets made elsewhere."""
        return self._store is None

    @property
    def index(self) -> DatasetIndex:
        """The snapshot of what the dataset holds (header and episode summaries)."""
        return self._index

    @property
    def env_id(self) -> str:
        return self._index.header.env_id

    @property
    def observation_space(self) -> gym.Space:
        return self._index.header.observation_space

    @property
    def action_space(self) -> gym.Space:
        return self._index.header.action_space

    @property
    def operator(self) -> str:
        return self._index.header.operator

    @property
    def episode_ids(self) -> tuple[int, ...]:
        """Ids in ascending order; ids of deleted episodes are never reused."""
        return self._index.ids

    @property
    def next_episode_id(self) -> int:
        """The id the next episode appended gets (as far as this object knows)."""
        return self._index.next_episode_id

    def __len__(self) -> int:
        return len(self._index.episodes)

    @property
    def total_steps(self) -> int:
        return self._index.total_steps

    def episode_info(self, episode_id: int) -> EpisodeInfo:
        """The summary of one episode (from the index; no file is opened)."""
        info = self._index.by_id.get(episode_id)
        if info is None:
            raise DatasetError(self._path, f"has no episode {episode_id}")
        return info

    def load_episode(self, episode_id: int) -> EpisodeData:
        """Read one episode whole."""
        location = self.location(episode_id)
        try:
            with h5py.File(location.file, "r") as file:
                return read_episode_group(file[location.group], self.observation_space,
                                          self.action_space)
        except (OSError, KeyError, ValueError) as exc:
            raise DatasetError(location.file,
                               f"episode {episode_id} is unreadable ({describe(exc)})") from None

    def fingerprint(self) -> str:
        """A short stable hash of the episode ids, lengths and contents (for checkpoints)."""
        digest = hashlib.blake2b(digest_size=8)
        for info in self._index.episodes:
            digest.update(f"{info.episode_id}:{info.steps}:{info.content_hash};".encode())
        return digest.hexdigest()

    def transitions(self, episode_ids: Iterable[int] | None = None) -> Transitions:
        """Contiguous arrays of every step of the chosen episodes (all by default)."""
        chosen = self.episode_ids if episode_ids is None else tuple(episode_ids)
        return read_transitions([self.episode_info(episode_id) for episode_id in chosen],
                                self.location, observation_space=self.observation_space,
                                action_space=self.action_space)

    def episode_actions(self, episode_id: int) -> np.ndarray:
        """One episode's actions, without reading its observations."""
        return read_actions(self.location(episode_id), self.episode_info(episode_id),
                            action_space=self.action_space)

    def transition_chunks(self, episode_id: int, rows: int) -> Iterator[Transitions]:
        """One episode's steps in order, at most `rows` to a `Transitions`: an episode of
        image frames is never held whole (`recorder.dataset_chunks.read_chunks`)."""
        return read_chunks(self.location(episode_id), self.episode_info(episode_id),
                           observation_space=self.observation_space,
                           action_space=self.action_space, rows=rows)

    # --- changing it -----------------------------------------------------------------------

    def append(self, episode: EpisodeData, *, tags: Iterable[str] = (), notes: str = "") -> int:
        """Commit one finished episode atomically and return its id.

        Refuses (DatasetError) an episode that does not fit the spaces, has no steps, or holds
        NaN or infinite values; the dataset is unchanged then.
        """
        store = self._writable_store()
        problem = episode_problem(episode, self.observation_space, self.action_space)
        tags = tuple(tags)
        if problem is None and not all(isinstance(tag, str) for tag in tags):
            problem = "tags must be strings"
        if problem is None and episode.options is not None:
            try:
                schema.to_json(episode.options)
            except (TypeError, ValueError) as exc:
                problem = f"reset options are not JSON-serialisable ({exc})"
        if problem:
            raise DatasetError(self._path, f"episode refused: {problem}")
        episode = normalized(episode, self.observation_space, self.action_space)
        try:
            with store.lock:
                index = store.fresh_index()
                meta = EpisodeMeta(episode_id=index.next_episode_id, env_id=self.env_id,
                                   tags=tags, notes=str(notes), operator=self.operator,
                                   app_version=schema.app_version())
                self._index = store.commit(index, episode, meta, self.observation_space)
        except OSError as exc:
            raise DatasetError(store.data_dir,
                               f"could not commit the episode ({describe(exc)})") from None
        logger.debug("%s: committed episode %d", self._path, meta.episode_id)
        assert meta.episode_id is not None
        return meta.episode_id

    def delete_episode(self, episode_id: int) -> None:
        """Delete one episode; the others stay readable and its id is never reused."""
        store = self._writable_store()
        try:
            with store.lock:
                index = store.fresh_index()
                if episode_id not in index.by_id:
                    raise DatasetError(self._path, f"has no episode {episode_id}")
                self._index = store.remove(index, episode_id)
        except OSError as exc:
            raise DatasetError(store.data_dir, f"could not delete episode {episode_id} "
                                               f"({describe(exc)})") from None

    def close(self) -> None:
        """Bring Minari's index (main_data.hdf5, metadata.json) up to date with every commit.

        Commits append to a journal and leave those two files as of the last sync, so that a
        commit costs the same at any size; ``minari.load_dataset`` sees the episodes of the
        last sync (this close, or any open, delete or repair). The object stays usable.
        """
        if self._store is None:
            return
        store = self._store
        try:
            with store.lock:
                self._index = store.sync()
        except OSError as exc:
            raise DatasetError(store.data_dir,
                               f"could not update the index ({describe(exc)})") from None

    def __enter__(self) -> DemoDataset:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write every episode into one self-contained ``.hdf5`` file that :meth:`open` reads."""
        target = Path(path)

        def write(tmp: Path) -> None:
            with h5py.File(tmp, "w", libver=schema.EXPORT_FILE_LIBVER) as file:
                exported = []
                for position, info in enumerate(self._index.episodes):
                    meta = EpisodeMeta(episode_id=info.episode_id, env_id=self.env_id,
                                       tags=info.tags, notes=info.notes, operator=info.operator,
                                       app_version=info.app_version)
                    write_episode_group(file.create_group(schema.group_name(position)),
                                        self.load_episode(info.episode_id),
                                        observation_space=self.observation_space, meta=meta)
                    # No byte ranges: a file cannot hold its own stamp, so nothing could tell
                    # them stale after a rewrite in place; reads go through HDF5.
                    exported.append(replace(info, raw_offsets=None, file_stamp=None))
                write_root_attrs(file.attrs, self._index.with_episodes(exported),
                                 with_episodes=True)

        try:
            write_atomically(target, write)
        except OSError as exc:
            raise DatasetError(target, f"could not export ({describe(exc)})") from None
        return target

    def _writable_store(self) -> DirectoryStore:
        if self._store is None:
            raise DatasetError(self._path, "is read-only (an exported file or a Minari "
                                           "dataset); append to a CloneLab dataset directory")
        return self._store

    def location(self, episode_id: int) -> Location:
        """Where one episode's group lives (a file, and the group's path inside it)."""
        self.episode_info(episode_id)  # raises for an unknown id
        if self._store is not None:
            return self._store.location(episode_id)
        return self._locations[episode_id]


_OCCUPIED = "already exists and is not an empty directory"


def _occupied(root: Path) -> bool:
    return root.exists() and (not root.is_dir() or any(root.iterdir()))


def _read_json(path: Path) -> object:
    # None when missing or not JSON: the store then falls back to main_data.hdf5.
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
        return None
