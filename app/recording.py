"""Recording: committing kept episodes off the UI thread, and the keep/discard panel."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app import pyside_fixes
from app.workers import GeneratorWorker
from recorder.dataset import DemoDataset, EpisodeData

pyside_fixes.install()
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, eq=False)
class CommitJob:
    """One kept episode on its way into a dataset."""

    dataset: DemoDataset
    episode: EpisodeData
    tags: tuple[str, ...] = ()
    notes: str = ""


class EpisodeCommitter(QObject):
    """Appends kept episodes to their dataset one at a time on a worker thread.

    A failed commit keeps its episode in memory (`failed_jobs`) until `retry()` or the app
    quits; `committed(episode_id)` and `failed(message)` report each outcome, `changed()` any
    change of the queue.
    """

    committed = Signal(int)
    failed = Signal(str)
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: list[CommitJob] = []
        self._failed: list[CommitJob] = []
        self._worker: GeneratorWorker | None = None
        self._current: CommitJob | None = None
        self._last: tuple[DemoDataset, int] | None = None

    @property
    def busy(self) -> bool:
        """Whether a commit is running or waiting."""
        return self._current is not None or bool(self._queue)

    @property
    def failed_jobs(self) -> tuple[CommitJob, ...]:
        """Episodes whose commit failed, kept for `retry()`."""
        return tuple(self._failed)

    @property
    def last_committed(self) -> tuple[DemoDataset, int] | None:
        """The dataset and id of the last episode committed (for one-click delete)."""
        return self._last

    def commit(self, job: CommitJob) -> None:
        """Queue an episode for its dataset."""
        self._queue.append(job)
        self._next()
        self.changed.emit()

    def retry(self) -> None:
        """Queue every failed commit again."""
        self._queue.extend(self._failed)
        self._failed.clear()
        self._next()
        self.changed.emit()

    def delete_last(self) -> int:
        """Delete the last committed episode (raises DatasetError); returns its id."""
        if self._last is None:
            raise LookupError("no episode has been committed in this session")
        dataset, episode_id = self._last
        dataset.delete_episode(episode_id)
        self._last = None
        self.changed.emit()
        return episode_id

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Block until the running commit ends (at quit); True when nothing is left running."""
        return self._worker is None or self._worker.wait(timeout_ms)

    def _next(self) -> None:
        if self._current is not None or not self._queue:
            return
        job = self._current = self._queue.pop(0)
        worker = GeneratorWorker(
            lambda cancel: job.dataset.append(job.episode, tags=job.tags, notes=job.notes), self
        )
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self._worker = worker
        worker.start()

    def _on_finished(self, episode_id: int) -> None:
        job = self._done()
        self._last = (job.dataset, int(episode_id))
        log.info("committed episode %d to %s", episode_id, job.dataset.path)
        self.committed.emit(int(episode_id))
        self._next()
        self.changed.emit()

    def _on_failed(self, message: str) -> None:
        self._failed.append(self._done())
        self.failed.emit(message)
        self._next()
        self.changed.emit()

    def _done(self) -> CommitJob:
        assert self._current is not None
        job, self._current = self._current, None
        if self._worker is not None:
            self._worker.wait()
            self._worker.deleteLater()
            self._worker = None
        return job


class ReviewPanel(QFrame):
    """A small non-modal strip shown when a recorded episode ends: keep (K) or discard (D),
    with optional comma-separated tags and a note."""

    keep_requested = Signal()
    discard_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._summary = QLabel()
        self._tags = QLineEdit()
        self._tags.setPlaceholderText("tags, comma separated")
        self._tags.setToolTip("Optional tags stored with the episode (e.g. good, crash, test)")
        self._notes = QLineEdit()
        self._notes.setPlaceholderText("note")
        self._notes.setToolTip("An optional note stored with the episode")
        keep = QPushButton("Keep (K)")
        keep.setToolTip("Commit this episode to the dataset")
        keep.clicked.connect(self.keep_requested)
        discard = QPushButton("Discard (D)")
        discard.setToolTip("Throw this episode away")
        discard.clicked.connect(self.discard_requested)
        for button in (keep, discard):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._summary)
        layout.addWidget(self._tags, 2)
        layout.addWidget(self._notes, 3)
        layout.addWidget(keep)
        layout.addWidget(discard)
        self.hide()

    def ask(self, episode: EpisodeData) -> None:
        """Show the panel for a finished episode (tags and note start empty)."""
        self._summary.setText(
            f"Episode over: {episode.steps} steps, return {episode.episode_return:.1f}"
        )
        self._tags.clear()
        self._notes.clear()
        self.show()

    def tags(self) -> tuple[str, ...]:
        """The tags typed, stripped, empty ones dropped."""
        return tuple(tag.strip() for tag in self._tags.text().split(",") if tag.strip())

    def notes(self) -> str:
        """The note typed."""
        return self._notes.text().strip()

    def set_tags(self, text: str) -> None:
        """Fill the tags field (as typed)."""
        self._tags.setText(text)

    def set_notes(self, text: str) -> None:
        """Fill the note field."""
        self._notes.setText(text)
