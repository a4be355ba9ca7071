"""Changing a dataset from the browser: deletion with an undo window, and merging datasets.

Deletion is deferred: deleting hides the episodes and pushes an undoable command; the real
`ds.delete_episode` runs only when the undo window closes (a timer), another dataset is opened,
or the view shuts down. Undo simply un-hides, so episode ids, tags and notes are kept exactly.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator, Iterable
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from clonelab.recorder.dataset import DemoDataset

log = logging.getLogger(__name__)


class PendingDeletions:
    """Episode ids deleted in the view but not yet on disk, with their undo stack."""

    def __init__(self, on_change: Callable[[frozenset[int]], None]) -> None:
        self.stack = QUndoStack()
        self._ids: set[int] = set()
        self._on_change = on_change

    @property
    def ids(self) -> frozenset[int]:
        """The ids hidden now."""
        return frozenset(self._ids)

    def delete(self, ids: Iterable[int]) -> None:
        """Hide `ids` (undoable)."""
        chosen = sorted(set(ids) - self._ids)
        if chosen:
            self.stack.push(_DeleteCommand(self, chosen))

    def _hide(self, ids: Iterable[int]) -> None:
        self._ids.update(ids)
        self._on_change(self.ids)

    def _show(self, ids: Iterable[int]) -> None:
        self._ids.difference_update(ids)
        self._on_change(self.ids)

    def commit(self, dataset: DemoDataset | None) -> list[int]:
        """Delete the hidden episodes for real; returns the ids deleted. Ends undo for them."""
        ids = sorted(self._ids)
        self.stack.clear()
        self._ids.clear()
        if dataset is None or not ids:
            return []
        done = []
        for episode_id in ids:
            if episode_id in dataset.episode_ids:
                dataset.delete_episode(episode_id)
                done.append(episode_id)
        log.info("%s: deleted episodes %s", dataset.path, done)
        return done


class _DeleteCommand(QUndoCommand):
    def __init__(self, owner: PendingDeletions, ids: list[int]) -> None:
        count = len(ids)
        text = f"delete episode {ids[0]}" if count == 1 else f"delete {count} episodes"
        super().__init__(text)
        self._owner = owner
        self._episode_ids = ids

    def redo(self) -> None:
        self._owner._hide(self._episode_ids)

    def undo(self) -> None:
        self._owner._show(self._episode_ids)


def merge_into(target: DemoDataset, source_path: str | os.PathLike[str],
               *, cancel: Any = None) -> Generator[tuple[int, int], None, int]:
    """Append every episode of the dataset at `source_path` to the open `target`.

    The source must hold the same env (DatasetError otherwise). Tags and notes are kept and a
    `from:<source name>` tag records where each episode came from. Yields (done, total);
    returns the number appended. Each episode is committed on its own, so a cancel or a
    failure leaves the target whole with the episodes merged so far.
    """
    source = DemoDataset.open(source_path, env_id=target.env_id)
    if target.path.resolve() == source.path.resolve():
        raise ValueError(f"{source.path}: cannot merge a dataset into itself")
    ids = source.episode_ids
    origin = f"from:{source.path.name}"
    for done, episode_id in enumerate(ids, start=1):
        if cancel is not None and cancel.is_set():
            return done - 1
        info = source.episode_info(episode_id)
        tags = info.tags if origin in info.tags else (*info.tags, origin)
        target.append(source.load_episode(episode_id), tags=tags, notes=info.notes)
        yield done, len(ids)
    return len(ids)
