"""A CloneLab dataset directory: its index, crash repair, and atomic commits.

Layout (docs/dataset-format.md): ``<dataset>/data/episodes/episode_<id>.hdf5`` holds each
committed episode, written under a temporary name, fsynced and renamed; a commit then appends
one line to ``episodes.jsonl`` (recorder.dataset_journal), and a sync (close, open, delete,
repair) rewrites ``main_data.hdf5`` and ``metadata.json``, Minari's index, from it. A kill at
any moment leaves every committed episode readable: the episode files are the truth and the
index is rebuilt from them when it disagrees.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gymnasium as gym
import h5py

from clonelab.recorder import schema
from clonelab.recorder.dataset_index import (
    DatasetHeader,
    DatasetIndex,
    EpisodeInfo,
    check_schema_version,
    expected_root_attrs,
    index_from_metadata,
    index_from_root_attrs,
    root_attrs_match,
    write_index,
)
from clonelab.recorder.dataset_io import (
    EpisodeMeta,
    Location,
    UnfitEpisode,
    WriterLock,
    file_stamp,
    fsync_dir,
    raw_offsets,
    read_episode_group,
    read_episode_meta,
    write_atomically,
    write_episode_group,
)
from clonelab.recorder.dataset_journal import (
    DatasetTotals,
    Replayed,
    append_entry,
    cut_partial_line,
    replay_journal,
    reset_journal,
)
from clonelab.recorder.episode import EpisodeData
from clonelab.recorder.errors import DatasetError, describe

logger = logging.getLogger(__name__)


class DirectoryStore:
    """The files of one CloneLab dataset directory (``<dataset>/data``)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.episodes_dir = data_dir / schema.EPISODES_DIR
        self.main_file = data_dir / schema.MAIN_FILE
        self.metadata_file = data_dir / schema.METADATA_FILE
        self.journal_file = data_dir / schema.JOURNAL_FILE
        self.lock = WriterLock(data_dir / schema.LOCK_FILE)
        # The last index read or written, keyed by metadata.json's identity: a commit then
        # skips re-parsing a file that no other writer has replaced since.
        self._cached: tuple[tuple[int, int, int], DatasetIndex] | None = None
        self._listed_id: object = None
        """The dataset_id in metadata.json as last read or written."""
        self._expected_root: dict[str, Any] | None = None
        """The root attributes main_data.hdf5 should hold, per metadata.json as last parsed."""
        self._agreed: tuple[object, ...] | None = None
        """The (metadata.json, main_data.hdf5) identities last found to agree."""
        self._replayed: Replayed | None = None
        """The journal as last read or written, over which snapshot, up to which byte."""

    @classmethod
    def create(cls, root: Path, index: DatasetIndex) -> DirectoryStore:
        """Lay out an empty dataset at ``root``: whole, in a uniquely named folder, then renamed.

        Raises FileExistsError when ``root`` is taken, by another writer perhaps: the rename
        lets exactly one of several racing creators win, and a loser leaves nothing behind.
        """
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = root.with_name(f".{root.name}.{secrets.token_hex(6)}{schema.TMP_SUFFIX}")
        staging.mkdir()
        try:
            store = cls(staging / schema.DATA_DIR)
            store.episodes_dir.mkdir(parents=True)
            (store.data_dir / schema.LOCK_FILE).touch()
            store._write_index(index, dataset_id=schema.minari_dataset_id(root))
            fsync_dir(staging)
            try:
                if os.name == "nt" and root.is_dir():
                    root.rmdir()  # Windows renames onto nothing; OSError unless empty
                # Replaces an empty directory, fails on anything else: atomic on POSIX.
                os.rename(staging, root)
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                    raise FileExistsError(exc.errno, "already exists", str(root)) from None
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        fsync_dir(root.parent)
        return cls(root / schema.DATA_DIR)

    def location(self, episode_id: int) -> Location:
        """Where a committed episode lives."""
        return Location(self.episodes_dir / schema.episode_file_name(episode_id))

    def read_index(self) -> tuple[DatasetIndex, str | None]:
        """The index (metadata.json, else main_data.hdf5, then the journal replayed over it)
        and why it cannot be trusted.

        The reason is None when the index files are intact. Raises DatasetError when neither
        metadata.json nor main_data.hdf5 holds a CloneLab index.
        """
        snapshot, snapshot_key, problem = self._read_snapshot()
        self._replayed, journal_problem = replay_journal(self.journal_file, snapshot,
                                                         snapshot_key, self._replayed)
        return self._replayed.index, problem or journal_problem

    def _read_snapshot(self) -> tuple[DatasetIndex, object, str | None]:
        """The index as of the last sync, what identifies it (None: not cacheable), the problem."""
        problem = "no metadata.json"
        if self.metadata_file.exists():
            try:
                index = self._read_metadata()
            except (OSError, ValueError, RecursionError) as exc:  # RecursionError: deep JSON
                problem = f"metadata.json is unusable ({describe(exc)})"
            else:
                key = self._metadata_signature()
                if self._main_file_agrees(index, key):
                    return index, key, None
                return index, None, "main_data.hdf5 disagrees with metadata.json"
        try:
            with h5py.File(self.main_file, "r") as main:
                check_schema_version(self.main_file, main.attrs.get(schema.ATTR_SCHEMA_VERSION))
                return index_from_root_attrs(main.attrs), None, problem
        except (OSError, ValueError) as exc:
            raise DatasetError(self.data_dir,
                               f"not a readable CloneLab dataset: {problem}, and main_data.hdf5 "
                               f"is unreadable ({describe(exc)})") from None

    def repair(self, index: DatasetIndex, problem: str | None, *, locked: bool
               ) -> tuple[DatasetIndex, str | None]:
        """Bring the index in line with the episode files; write it back when ``locked``.

        ``problem`` says why the index files cannot be trusted (None when intact). Returns the
        index and, when it had to be rebuilt, one line saying why and from how many files.
        Without the lock another writer may be mid-commit, so temporary files are left alone
        and the repaired index stays in memory.
        """
        if locked:
            self._remove_temporary_files()
        on_disk = self.episode_files()
        if problem is None and on_disk != set(index.ids):
            problem = (f"the index lists {len(index.ids)} episodes, the episodes folder "
                       f"holds {len(on_disk)}")
        if problem is None:
            # Moved or copied, Minari lists a dataset only under the id of its path; commits
            # since the last sync are not in Minari's files yet.
            if locked and (self._listed_id != schema.minari_dataset_id(self.data_dir.parent)
                           or self._replayed is None or self._replayed.pending):
                self._write_index(index)
            return index, None
        known = {info.episode_id: info for info in index.episodes if info.episode_id in on_disk}
        unfit = 0
        for episode_id in sorted(on_disk - set(known)):
            info = self._summarize_file(episode_id, index, locked=locked)
            if info is None:
                unfit += 1
            else:
                known[episode_id] = info
        repaired = index.with_episodes(list(known.values()))
        note = f"{problem}: index rebuilt from {len(known)} episode files"
        if unfit:
            action = f"set aside in {schema.QUARANTINE_DIR}/" if locked else "skipped"
            note += f", {unfit} {action} (unfit or unreadable)"
        logger.warning("%s: %s", self.data_dir, note)
        if locked:
            self._write_index(repaired)
        return repaired, note

    def fresh_index(self) -> DatasetIndex:
        """The index with other writers' commits; call with the lock held.

        Costs the same at any size while the index files are intact (the journal's new lines
        only); repairs them otherwise, and when a killed commit left an episode file behind
        under the id the next commit would take.
        """
        index, problem = self.read_index()
        replayed = self._replayed
        if (problem is not None or replayed is None or replayed.key is None
                or self.location(index.next_episode_id).file.exists()):
            return self.repair(index, problem, locked=True)[0]
        if replayed.partial:  # a writer killed mid-append: the next line must start clean
            cut_partial_line(self.journal_file, replayed.end)
            self._replayed = replace(replayed, partial=False)
        return index

    def sync(self) -> DatasetIndex:
        """Bring main_data.hdf5 and metadata.json up to date; call with the lock held."""
        index = self.fresh_index()
        if self._replayed is None or self._replayed.pending:
            self._write_index(index)
        return index

    def commit(self, index: DatasetIndex, episode: EpisodeData, meta: EpisodeMeta,
               observation_space: gym.Space) -> DatasetIndex:
        """Write a normalised episode under ``meta.episode_id`` and return the updated index."""
        assert meta.episode_id is not None

        offsets: list[tuple[int, ...] | None] = []

        def write(tmp: Path) -> None:
            with h5py.File(tmp, "w") as file:
                offsets.append(write_episode_group(file, episode, meta=meta,
                                                   observation_space=observation_space))

        path = self.location(meta.episode_id).file
        write_atomically(path, write)
        info = EpisodeInfo.summarize(episode, episode_id=meta.episode_id, meta=meta,
                                     raw_offsets=offsets[0], file_stamp=file_stamp(path))
        updated = index.with_appended(info)
        replayed = self._replayed
        totals = (replayed.totals if replayed is not None and replayed.index is index
                  else DatasetTotals.of(index.episodes, index.next_episode_id)).plus(info)
        created = not self.journal_file.exists()
        end = append_entry(self.journal_file, info, totals)
        if created:
            fsync_dir(self.data_dir)
        if replayed is not None and replayed.index is index and replayed.key is not None:
            self._replayed = replace(replayed, end=end, index=updated, totals=totals,
                                     pending=True)
        else:
            self._replayed = None  # read whole next time
        return updated

    def remove(self, index: DatasetIndex, episode_id: int) -> DatasetIndex:
        """Delete one episode file, then the index entry (a kill between is repaired on open)."""
        self.location(episode_id).file.unlink()
        fsync_dir(self.episodes_dir)
        updated = index.with_episodes([i for i in index.episodes if i.episode_id != episode_id])
        self._write_index(updated)
        return updated

    def _read_metadata(self) -> DatasetIndex:
        signature = self._metadata_signature()
        if self._cached is not None and self._cached[0] == signature:
            return self._cached[1]
        doc = json.loads(self.metadata_file.read_text(encoding="utf-8"))
        # The version first: a newer schema may lay out the rest differently.
        ours = doc.get(schema.META_CLONELAB) if isinstance(doc, dict) else None
        if isinstance(ours, dict) and schema.ATTR_SCHEMA_VERSION in ours:
            check_schema_version(self.metadata_file, ours[schema.ATTR_SCHEMA_VERSION])
        index = index_from_metadata(doc)
        self._cached = (signature, index)
        self._listed_id = doc.get("dataset_id")
        self._expected_root = expected_root_attrs(index, doc)
        return index

    def _write_index(self, index: DatasetIndex, *, dataset_id: str | None = None) -> None:
        """Sync: rewrite main_data.hdf5 and metadata.json, then reset the journal to totals."""
        self._listed_id = write_index(self.data_dir, index, dataset_id=dataset_id)
        signature = self._metadata_signature()
        self._cached = (signature, index)
        self._expected_root = None  # both files were just written together
        self._agreed = (signature, self._main_signature())
        totals = DatasetTotals.of(index.episodes, index.next_episode_id)
        reset_journal(self.journal_file, totals)
        stat = os.stat(self.journal_file)
        self._replayed = Replayed(key=(signature, stat.st_ino), end=stat.st_size, index=index,
                                   totals=totals, pending=False)

    def _metadata_signature(self) -> tuple[int, int, int]:
        # Each atomic rewrite makes a new inode, so inode, size and mtime identify a version.
        stat = os.stat(self.metadata_file)
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def _main_signature(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.main_file)
        except OSError:
            return None
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    def _main_file_agrees(self, index: DatasetIndex, metadata_signature: object) -> bool:
        # Checked while metadata.json is good, so that main_data.hdf5 can stand in for it later;
        # once per pair of versions of the two files, not at every commit.
        pair = (metadata_signature, self._main_signature())
        if pair == self._agreed:
            return True
        try:
            with h5py.File(self.main_file, "r") as main:
                agrees = len(main) == len(index.episodes) and (
                    self._expected_root is None or root_attrs_match(main.attrs,
                                                                    self._expected_root))
        except OSError:
            return False
        self._agreed = pair if agrees else None
        return agrees

    def episode_files(self) -> set[int]:
        """The ids of the episode files in the episodes folder."""
        names = (schema.parse_episode_file_name(name) for name in os.listdir(self.episodes_dir))
        return {episode_id for episode_id in names if episode_id is not None}

    def set_aside(self, path: Path, reason: str) -> Path:
        """Move a bad episode file into the quarantine folder, noting why; return where it went.

        Never deleted: the person decides. Moving it back into the episodes folder puts it
        through a commit's checks again on the next open.
        """
        folder = self.data_dir / schema.QUARANTINE_DIR
        folder.mkdir(exist_ok=True)
        target, copies = folder / path.name, 1
        while target.exists():  # an earlier file of the same name stays as it is
            target = folder / f"{path.stem}.{copies}{path.suffix}"
            copies += 1
        path.rename(target)
        fsync_dir(path.parent)
        when = datetime.now(UTC).isoformat(timespec="seconds")
        with open(folder / schema.QUARANTINE_REASONS, "a", encoding="utf-8") as reasons:
            moved = path.name if target.name == path.name else f"{path.name} -> {target.name}"
            reasons.write(f"{when} {moved}: {' '.join(reason.split())}\n")
        return target

    def _remove_temporary_files(self) -> None:
        for folder in (self.data_dir, self.episodes_dir):
            for path in folder.glob(f"*{schema.TMP_SUFFIX}"):
                logger.info("removing %s left by an interrupted write", path)
                path.unlink(missing_ok=True)

    def _summarize_file(self, episode_id: int, index: DatasetIndex, *, locked: bool
                        ) -> EpisodeInfo | None:
        """Summarise an episode file the index lacks; None (and set it aside) when unfit."""
        location = self.location(episode_id)
        path = location.file
        try:
            return summarize_episode(location, episode_id, index.header)
        except (OSError, KeyError, ValueError) as exc:
            # Committed files are never half-written, so this one was damaged or copied in.
            reason = episode_problem_line(episode_id, exc)
            action = f"set aside in {schema.QUARANTINE_DIR}/" if locked else "skipped"
            logger.warning("%s: %s, %s", path, action, reason)
            if locked:
                self.set_aside(path, reason)
            return None


def summarize_episode(location: Location, episode_id: int, header: DatasetHeader) -> EpisodeInfo:
    """Read one episode file (or group) whole and summarise it, checked as a commit checks it.

    Raises OSError or KeyError (unreadable), UnfitEpisode (a commit would refuse it, or it
    holds another env's steps) or another ValueError (malformed). The index never lists an
    episode that ``append`` would have refused.
    """
    with h5py.File(location.file, "r") as file:
        group = file[location.group]
        meta = read_episode_meta(group)
        episode = read_episode_group(group, header.observation_space, header.action_space)
        offsets = raw_offsets(group)
    if meta.env_id and meta.env_id != header.env_id:
        raise UnfitEpisode(f"it holds {meta.env_id} steps, not {header.env_id}")
    return EpisodeInfo.summarize(episode, episode_id=episode_id, meta=meta, raw_offsets=offsets,
                                 file_stamp=file_stamp(location.file))


def episode_problem_line(episode_id: int, exc: BaseException) -> str:
    """Why an episode file cannot be used, in one line ("episode 3 is unreadable (...)")."""
    if isinstance(exc, UnfitEpisode):
        return f"episode {episode_id} would be refused by a commit ({exc})"
    return f"episode {episode_id} is unreadable ({describe(exc)})"
