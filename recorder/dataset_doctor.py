"""The dataset doctor: check every episode file against the schema and its recorded checksum,
and, only when asked, repair the dataset without touching a good file.

A check reads and changes nothing on disk. A repair, under the writer lock, moves each bad
episode file (unreadable, refused by a commit's checks, or changed since its commit) into
``data/quarantine/`` with its reason in ``reasons.txt``, then rebuilds the index from the
files left (docs/dataset-format.md, "Checking and repairing").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clonelab.recorder import schema
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_index import DatasetHeader, DatasetIndex, EpisodeInfo
from clonelab.recorder.dataset_io import Location
from clonelab.recorder.dataset_store import (
    DirectoryStore,
    episode_problem_line,
    summarize_episode,
)
from clonelab.recorder.errors import DatasetError


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem with one file of a dataset; ``str()`` gives it in one line."""

    file: Path
    problem: str
    episode_id: int | None = None
    """None for a problem with the index files rather than an episode."""
    bad_file: bool = False
    """The episode file cannot be used as it is: a repair sets it aside."""

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass(frozen=True, kw_only=True)
class Checkup:
    """What a check found: one finding per problem, in file order."""

    path: Path
    episodes_checked: int
    """Episode files (or groups) read whole and checked."""
    findings: tuple[Finding, ...]


@dataclass(frozen=True, kw_only=True)
class Repair:
    """What a repair found and did."""

    checkup: Checkup
    set_aside: tuple[Path, ...]
    """Where the bad episode files went (in the quarantine folder)."""
    note: str | None
    """How the index was rebuilt, or None when it did not need to be."""


def check_dataset(path: str | Path) -> Checkup:
    """Check every episode of the dataset at ``path``; nothing on disk changes.

    A CloneLab dataset directory is checked as it lies (its index is not repaired first, so
    what an open would repair is reported); exported files and Minari datasets through
    :meth:`DemoDataset.open`. Raises DatasetError when no index can be read at all.
    """
    root = Path(path)
    store = _store(root)
    if store is None:
        return check_opened(DemoDataset.open(root))
    return _check_directory(root, store)


def check_opened(dataset: DemoDataset) -> Checkup:
    """Check the episodes an opened dataset lists (what ``clonelab info`` reports on)."""
    index = dataset.index
    findings = [_check_episode(dataset.location(info.episode_id), info.episode_id,
                               index.header, info) for info in index.episodes]
    return Checkup(path=dataset.path, episodes_checked=len(index.episodes),
                   findings=tuple(finding for finding in findings if finding is not None))


def repair_dataset(path: str | Path) -> Repair:
    """Check the dataset directory at ``path`` and repair what the check finds.

    Bad episode files go to the quarantine folder (never deleted); the index is rebuilt from
    the files left, adding good files it lacked and dropping missing ones. Good episode files
    are not written to. Raises DatasetError for read-only sources, or while another program
    holds the writer lock.
    """
    root = Path(path)
    store = _store(root)
    if store is None:
        raise DatasetError(root, "is read-only (an exported file or a Minari dataset): "
                                 "nothing to repair in place")
    if not store.lock.acquire(blocking=False):
        raise DatasetError(store.data_dir, "another program is writing to this dataset; "
                                           "repair it once that is done")
    try:
        checkup = _check_directory(root, store)
        moved = tuple(store.set_aside(finding.file, finding.problem)
                      for finding in checkup.findings if finding.bad_file)
        index, problem = store.read_index()
        _, note = store.repair(index, problem, locked=True)
    finally:
        store.lock.release()
    return Repair(checkup=checkup, set_aside=moved, note=note)


def _store(root: Path) -> DirectoryStore | None:
    """The store of a CloneLab dataset directory; None for other sources."""
    data_dir = root / schema.DATA_DIR
    if root.is_dir() and (data_dir / schema.EPISODES_DIR).is_dir():
        return DirectoryStore(data_dir)
    return None


def _check_directory(root: Path, store: DirectoryStore) -> Checkup:
    index, problem = store.read_index()
    # The problem names the index file at fault (metadata.json or main_data.hdf5).
    findings = [] if problem is None else [Finding(file=store.data_dir, problem=problem)]
    on_disk = store.episode_files()
    ids = sorted(set(index.ids) | on_disk)
    for episode_id in ids:
        location = store.location(episode_id)
        indexed = index.by_id.get(episode_id)
        if episode_id not in on_disk:
            findings.append(Finding(file=location.file, episode_id=episode_id,
                                    problem=f"episode {episode_id} is in the index, but its "
                                            "file is missing"))
            continue
        finding = _check_episode(location, episode_id, index.header, indexed)
        if finding is not None:
            findings.append(finding)
        elif indexed is None and not _index_rebuilt(problem, index):
            findings.append(Finding(file=location.file, episode_id=episode_id,
                                    problem=f"episode {episode_id} is not in the index (a "
                                            "good episode file)"))
    return Checkup(path=root, episodes_checked=len(on_disk), findings=tuple(findings))


def _index_rebuilt(problem: str | None, index: DatasetIndex) -> bool:
    # When metadata.json is unusable the index lists no episodes: that one finding says it all.
    return problem is not None and not index.episodes


def _check_episode(location: Location, episode_id: int, header: DatasetHeader,
                   indexed: EpisodeInfo | None) -> Finding | None:
    """Read one episode whole, check it as a commit would and against its checksum."""
    try:
        found = summarize_episode(location, episode_id, header)
    except (OSError, KeyError, ValueError) as exc:
        return Finding(file=location.file, episode_id=episode_id, bad_file=True,
                       problem=episode_problem_line(episode_id, exc))
    if indexed is not None and found.content_hash != indexed.content_hash:
        return Finding(file=location.file, episode_id=episode_id, bad_file=True,
                       problem=f"episode {episode_id} differs from the checksum recorded at its "
                               f"commit ({indexed.content_hash}, now {found.content_hash}): "
                               "changed in place since, or damaged")
    return None
