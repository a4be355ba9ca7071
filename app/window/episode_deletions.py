"""Deleting episodes with an undo window: one mechanism for every view that deletes.

Deletion is deferred: deleting hides the episodes of the dataset on screen and pushes an
undoable command; the real `DemoDataset.delete_episode` runs only when the undo window closes
(a timer), another dataset is opened, or the app quits. Undo simply un-hides, so episode ids,
tags and notes come back exactly. The workspace holds the one `EpisodeDeletions` of a window,
so the Datasets tab's Delete and the Play tab's "Delete last episode" share one undo stack.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from clonelab.recorder.dataset import DatasetError, DemoDataset

log = logging.getLogger(__name__)

UNDO_WINDOW_MS = 20_000


class EpisodeDeletions(QObject):
    """Episodes deleted on screen but not yet on disk, all of one dataset, with their undo stack.

    Signals: `changed()` when the hidden ids change; `committed(text)` after episodes left the
    disk ("Deleted episodes 1, 2 of demos"); `failed(text)` when deleting on disk failed (the
    episodes not deleted show again).
    """

    changed = Signal()
    committed = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self._dataset: DemoDataset | None = None
        self._ids: set[int] = set()
        self.window_ms = UNDO_WINDOW_MS
        """How long a deletion can be undone."""
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.commit)

    def hidden_ids(self, dataset: DemoDataset | None) -> frozenset[int]:
        """The ids of `dataset` hidden now (none for any other dataset)."""
        return frozenset(self._ids) if dataset is not None and dataset is self._dataset \
            else frozenset()

    def shown_ids(self, dataset: DemoDataset) -> list[int]:
        """The dataset's episode ids less those hidden, in id order."""
        hidden = self.hidden_ids(dataset)
        return [episode_id for episode_id in dataset.episode_ids if episode_id not in hidden]

    def delete(self, dataset: DemoDataset, ids: Iterable[int]) -> list[int]:
        """Hide `ids` of `dataset` (undoable); they leave the disk when the undo window closes.

        Deletions pending in another dataset are committed first. Returns the ids hidden now.
        Raises DatasetError for a read-only dataset.
        """
        if dataset.read_only:
            raise DatasetError(dataset.path, "is read-only (an exported file or a Minari "
                                             "dataset); open a CloneLab dataset folder to "
                                             "delete episodes")
        if dataset is not self._dataset:
            self.commit(announce=False)
            self._dataset = dataset
        chosen = sorted(set(ids) - self._ids)
        if chosen:
            self.stack.push(_DeleteCommand(self, dataset.path.name, chosen))
            self.timer.start(self.window_ms)
        return chosen

    def undo(self) -> None:
        """Show the episodes of the last deletion again."""
        self.stack.undo()

    def commit(self, *, announce: bool = True) -> list[int]:
        """Delete the hidden episodes on disk now; returns the ids deleted. Ends their undo.

        Never raises: a failure is logged and reported by `failed`. `announce=False` keeps
        `committed` quiet (the workspace commits before opening another dataset, and the
        views hear of the switch itself).
        """
        self.timer.stop()
        dataset, ids = self._dataset, sorted(self._ids)
        self.stack.clear()
        self._ids.clear()
        if dataset is None or not ids:
            return []
        done = []
        try:
            for episode_id in ids:
                if episode_id in dataset.episode_ids:
                    dataset.delete_episode(episode_id)
                    done.append(episode_id)
        except (DatasetError, OSError) as exc:
            log.warning("%s: deleting episodes failed: %s", dataset.path, exc)
            self.failed.emit(f"Deleting episodes from {dataset.path.name} failed: {exc}")
        self.changed.emit()
        if done and announce:
            log.info("%s: deleted episodes %s", dataset.path, done)
            self.committed.emit(f"Deleted {_episodes(done)} of {dataset.path.name} from disk.")
        return done

    def _hide(self, ids: Iterable[int]) -> None:
        self._ids.update(ids)
        self.changed.emit()

    def _show(self, ids: Iterable[int]) -> None:
        self._ids.difference_update(ids)
        self.changed.emit()


def _episodes(ids: list[int]) -> str:
    return f"episode {ids[0]}" if len(ids) == 1 else f"episodes {', '.join(map(str, ids))}"


class _DeleteCommand(QUndoCommand):
    def __init__(self, owner: EpisodeDeletions, dataset_name: str, ids: list[int]) -> None:
        super().__init__(f"delete {_episodes(ids)} of {dataset_name}")
        self._owner = owner
        self._episode_ids = ids

    def redo(self) -> None:
        self._owner._hide(self._episode_ids)

    def undo(self) -> None:
        self._owner._show(self._episode_ids)
