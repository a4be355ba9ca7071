"""The commit journal of a dataset directory, ``data/episodes.jsonl``, and the running totals.

A commit appends one line (the episode's summary and the dataset's totals after it) instead of
rewriting the whole index, so it costs the same at episode 100,000 as at episode 10. Minari's
``main_data.hdf5`` and ``metadata.json`` are brought up to date by a sync (on close, open,
delete and repair), which resets the journal to one line of totals. Replaying the journal over
``metadata.json`` is idempotent (ids are never reused), so a kill between the two steps of a
sync loses nothing. A kill mid-append leaves a last line without its newline, which readers
ignore and the next writer cuts off.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clonelab.recorder import dataset_fields as check
from clonelab.recorder.dataset_index import DatasetIndex, EpisodeInfo
from clonelab.recorder.dataset_io import write_text_atomically
from clonelab.recorder.errors import describe

JOURNAL_EPISODE = "episode"
JOURNAL_TOTALS = "totals"
_TAIL_READ = 1 << 16
"""Bytes read from the journal's end at a time when looking for its last line."""


@dataclass(frozen=True, kw_only=True)
class DatasetTotals:
    """What ``clonelab info`` reports, kept up to date by every commit (no file is read)."""

    episodes: int = 0
    steps: int = 0
    return_sum: float = 0.0
    return_sum_sq: float = 0.0
    return_min: float | None = None
    return_max: float | None = None
    actor_steps: dict[str, int] = field(default_factory=dict)
    """Steps taken by each actor, over all episodes."""
    next_episode_id: int = 0

    @classmethod
    def of(cls, episodes: Iterable[EpisodeInfo], next_episode_id: int) -> DatasetTotals:
        """The totals of ``episodes`` (one pass)."""
        totals = cls(next_episode_id=next_episode_id)
        for info in episodes:
            totals = totals.plus(info)
        return totals

    def plus(self, info: EpisodeInfo) -> DatasetTotals:
        """The totals once ``info`` is committed."""
        value = info.episode_return
        actors = dict(self.actor_steps)
        for actor, steps in info.actor_steps.items():
            actors[actor] = actors.get(actor, 0) + steps
        return DatasetTotals(
            episodes=self.episodes + 1, steps=self.steps + info.steps,
            return_sum=self.return_sum + value, return_sum_sq=self.return_sum_sq + value * value,
            return_min=value if self.return_min is None else min(self.return_min, value),
            return_max=value if self.return_max is None else max(self.return_max, value),
            actor_steps=actors,
            next_episode_id=max(self.next_episode_id, info.episode_id + 1))

    @property
    def return_mean(self) -> float | None:
        return self.return_sum / self.episodes if self.episodes else None

    @property
    def return_std(self) -> float | None:
        """Population standard deviation (as ``numpy.std``) from the running sums."""
        if not self.episodes:
            return None
        mean = self.return_sum / self.episodes
        return math.sqrt(max(0.0, self.return_sum_sq / self.episodes - mean * mean))

    def to_json(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "steps": self.steps, "return_sum": self.return_sum,
                "return_sum_sq": self.return_sum_sq, "return_min": self.return_min,
                "return_max": self.return_max, "actor_steps": self.actor_steps,
                "next_episode_id": self.next_episode_id}

    @classmethod
    def from_json(cls, doc: Any, where: str = JOURNAL_TOTALS) -> DatasetTotals:
        """Inverse of :meth:`to_json`; ValueError naming the first wrong field."""
        doc = check.mapping(doc, where)

        def number(key: str) -> float | None:
            value = doc.get(key)
            return None if value is None else check.number(value, f"{where}.{key}")

        return cls(
            episodes=check.integer(check.required(doc, "episodes", where), f"{where}.episodes",
                                   minimum=0),
            steps=check.integer(check.required(doc, "steps", where), f"{where}.steps",
                                minimum=0),
            return_sum=check.number(check.required(doc, "return_sum", where),
                                    f"{where}.return_sum"),
            return_sum_sq=check.number(check.required(doc, "return_sum_sq", where),
                                       f"{where}.return_sum_sq"),
            return_min=number("return_min"), return_max=number("return_max"),
            actor_steps=check.counts(check.required(doc, "actor_steps", where),
                                     f"{where}.actor_steps"),
            next_episode_id=check.integer(check.required(doc, "next_episode_id", where),
                                          f"{where}.next_episode_id", minimum=0))


@dataclass(frozen=True, kw_only=True)
class JournalRead:
    """What reading the journal from some offset found."""

    episodes: tuple[EpisodeInfo, ...]
    """The episodes committed in the lines read, in commit order."""
    totals: DatasetTotals | None
    """The totals of the last good line read (None when no line was read)."""
    end: int
    """The offset just past the last complete line: the next read starts there."""
    partial: bool
    """The journal ends with a line cut short (a writer killed mid-append)."""
    problem: str | None
    """Why a complete line could not be read (damage), or None."""


@dataclass(frozen=True, kw_only=True)
class Replayed:
    """The journal as a store last read or wrote it."""

    key: tuple[object, int] | None
    """(the snapshot's identity, the journal's inode); None: read it whole next time."""
    end: int
    """The offset past the last complete line read."""
    index: DatasetIndex
    """The snapshot with the journal's commits."""
    totals: DatasetTotals
    pending: bool
    """Commits (or a cut-short line) that main_data.hdf5 and metadata.json lack: sync due."""
    partial: bool = False
    """The journal ends with a line cut short by a kill."""


def replay_journal(path: Path, snapshot: DatasetIndex, snapshot_key: object,
                   last: Replayed | None) -> tuple[Replayed, str | None]:
    """``snapshot`` (the index as of the last sync) with the journal's commits since, and why
    the journal cannot be trusted (None when it can).

    ``snapshot_key`` identifies the snapshot (None: it cannot be cached); while it and the
    journal's inode are those of ``last``, only the lines appended since are read.
    """
    try:
        stat = os.stat(path)
    except FileNotFoundError:  # made by an older CloneLab: the next sync writes one
        return Replayed(key=None, end=0, index=snapshot, pending=True,
                        totals=DatasetTotals.of(snapshot.episodes,
                                                snapshot.next_episode_id)), None
    except OSError as exc:
        return Replayed(key=None, end=0, index=snapshot, pending=True,
                        totals=DatasetTotals.of(snapshot.episodes, snapshot.next_episode_id)
                        ), f"{path.name} is unreadable ({describe(exc)})"
    key = (snapshot_key, stat.st_ino) if snapshot_key is not None else None
    if key is not None and last is not None and last.key == key and stat.st_size >= last.end:
        if stat.st_size == last.end:
            return last, None
        read = read_journal(path, last.end)
        index, totals = last.index, last.totals
        for info in read.episodes:  # another writer's commits, in order
            index, totals = index.with_appended(info), totals.plus(info)
        pending = last.pending or bool(read.episodes)
    else:
        read = read_journal(path)
        merged = {info.episode_id: info for info in snapshot.episodes}
        # Ids are never reused: a commit already in the snapshot is the same episode.
        merged.update((info.episode_id, info) for info in read.episodes)
        index = snapshot.with_episodes(list(merged.values()))
        totals = DatasetTotals.of(index.episodes, index.next_episode_id)
        pending = bool(read.episodes)
    return Replayed(key=key, end=read.end, index=index, totals=totals,
                    pending=pending or read.partial, partial=read.partial), read.problem


def read_journal(path: Path, offset: int = 0) -> JournalRead:
    """Read the complete lines of the journal from ``offset`` (OSError when unreadable)."""
    with open(path, "rb") as file:
        file.seek(offset)
        data = file.read()
    cut = data.rfind(b"\n") + 1
    episodes: list[EpisodeInfo] = []
    totals = None
    problem = None
    for number, line in enumerate(data[:cut].splitlines(), start=1):
        try:
            doc = check.mapping(json.loads(line), "the line")
            totals = DatasetTotals.from_json(check.required(doc, JOURNAL_TOTALS, "the line"))
            if JOURNAL_EPISODE in doc:
                episodes.append(EpisodeInfo.from_json(doc[JOURNAL_EPISODE], JOURNAL_EPISODE))
        except (ValueError, RecursionError) as exc:
            where = "a line" if offset else f"line {number}"
            problem = problem or f"{path.name} {where} is unusable ({exc})"
    return JournalRead(episodes=tuple(episodes), totals=totals, end=offset + cut,
                       partial=cut < len(data), problem=problem)


def last_totals(path: Path) -> DatasetTotals | None:
    """The totals of the journal's last complete line, read from its end (None: none usable)."""
    try:
        with open(path, "rb") as file:
            end = file.seek(0, os.SEEK_END)
            tail = b""
            while end > 0:
                start = max(0, end - _TAIL_READ)
                file.seek(start)
                tail = file.read(end - start) + tail
                end = start
                lines = tail[:tail.rfind(b"\n")].split(b"\n")  # drop a cut-short last line
                if len(lines) > 1 or start == 0:
                    break
    except OSError:
        return None
    if not lines or not lines[-1]:
        return None
    try:
        doc = check.mapping(json.loads(lines[-1]), "the line")
        return DatasetTotals.from_json(check.required(doc, JOURNAL_TOTALS, "the line"))
    except (ValueError, RecursionError):
        return None


def append_entry(path: Path, info: EpisodeInfo, totals: DatasetTotals) -> int:
    """Append one commit's line, fsynced; return the journal's new length.

    One ``write`` of the whole line on a descriptor opened for appending: a kill can cut it
    short, never interleave it with another line.
    """
    line = json.dumps({JOURNAL_EPISODE: info.to_json(), JOURNAL_TOTALS: totals.to_json()})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)


def reset_journal(path: Path, totals: DatasetTotals) -> None:
    """Replace the journal by one line of totals (after a sync wrote everything elsewhere)."""
    write_text_atomically(path, json.dumps({JOURNAL_TOTALS: totals.to_json()}) + "\n")


def cut_partial_line(path: Path, end: int) -> None:
    """Cut off a line a killed writer left unfinished, so that the next append starts clean."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, end)
        os.fsync(fd)
    finally:
        os.close(fd)
