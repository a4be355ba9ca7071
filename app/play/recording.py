"""Recording: the dataset the Play tab records into, the episode awaiting review, and commits
of kept episodes off the UI thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import gymnasium
from PySide6.QtCore import QObject, Signal

from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.dataset import DatasetError, DemoDataset, EpisodeData

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
        self._runner = JobRunner(self)
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._current: CommitJob | None = None
        self._saved_to: DemoDataset | None = None

    @property
    def busy(self) -> bool:
        """Whether a commit is running or waiting."""
        return self._current is not None or bool(self._queue)

    @property
    def saved_to(self) -> DemoDataset | None:
        """The dataset of the episode committed last."""
        return self._saved_to

    def waiting_for(self, dataset: DemoDataset) -> int:
        """How many episodes are on their way into `dataset` (running or queued)."""
        jobs = [self._current, *self._queue]
        return sum(1 for job in jobs if job is not None and job.dataset is dataset)

    @property
    def failed_jobs(self) -> tuple[CommitJob, ...]:
        """Episodes whose commit failed, kept for `retry()`."""
        return tuple(self._failed)

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

    def drain(self, timeout_ms: int = 30_000) -> bool:
        """Finish every queued commit before returning (the app is quitting); failures stay in
        `failed_jobs`. False when a commit outlasted `timeout_ms`."""
        while self._runner.busy:
            if not self._runner.settle(timeout_ms):
                log.error("a commit did not end and report within %d ms", timeout_ms)
                return False
        return True

    def _next(self) -> None:
        if self._current is not None or not self._queue:
            return
        job = self._current = self._queue.pop(0)
        self._runner.start(
            lambda cancel: job.dataset.append(job.episode, tags=job.tags, notes=job.notes))

    def _on_finished(self, episode_id: int) -> None:
        job = self._done()
        self._saved_to = job.dataset
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
        return job


class Recorder(QObject):
    """Where the Play tab's episodes go.

    Holds the dataset of the current env (the workspace's), the record switch, the
    finished episode awaiting keep or discard, and the committer. `changed()` after any change;
    `problem(title, message)` for the view to show; `dataset_needed()` when recording starts
    with no dataset selected.
    """

    changed = Signal()
    problem = Signal(str, str)
    dataset_needed = Signal()

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._env_id: str | None = None
        self.dataset: DemoDataset | None = None
        self.enabled = False
        self.pending: EpisodeData | None = None
        self.committer = EpisodeCommitter(self)
        self.committer.committed.connect(self._on_committed)
        self.committer.failed.connect(self._on_failed)
        self.committer.changed.connect(self.changed)
        workspace.dataset_changed.connect(self._on_selection_changed)
        workspace.env_changed.connect(self._on_selection_changed)
        workspace.deletions.changed.connect(self.changed)

    def set_env(self, env_id: str) -> None:
        """Record `env_id` from now on: take the workspace's dataset if it holds that env."""
        self._env_id = env_id
        self.dataset = None
        self.use_selection(quiet=True)

    def use_selection(self, *, quiet: bool) -> None:
        """Use the workspace's dataset if it holds this env's demos and is writable."""
        if self.dataset is not None and self._workspace.dataset is self.dataset:
            self.changed.emit()  # same dataset, new contents: the HUD's count
            return
        self.dataset = None
        path = self._workspace.dataset_path
        if path is not None and self._env_id is not None:
            try:
                dataset = self._workspace.dataset_for(self._env_id)
                if dataset is not None and dataset.read_only:
                    raise DatasetError(path, "is read-only (an exported file or a Minari "
                                             "dataset); record into a dataset directory")
                self.dataset = dataset
            except DatasetError as exc:
                if quiet:
                    self._workspace.show_status(f"Recording unavailable: {exc}")
                else:
                    self.problem.emit("Cannot record into this dataset", str(exc))
        if self.dataset is None:
            self.enabled = False
        self.changed.emit()

    def create(self, path: Path, env: gymnasium.Env, *, operator: str) -> bool:
        """Create an empty dataset for the current env at `path` and select it."""
        try:
            dataset = DemoDataset.create(path, env_id=str(self._env_id),
                                         observation_space=env.observation_space,
                                         action_space=env.action_space, operator=operator)
        except DatasetError as exc:
            self.problem.emit("Cannot create the dataset", str(exc))
            return False
        self._workspace.set_dataset(dataset)
        return True

    def set_enabled(self, enabled: bool) -> bool:
        """Switch recording; switching on needs a dataset of this env (False without one)."""
        if enabled and self._workspace.dataset_path is None:
            self._workspace.show_status("Recording needs a dataset: File > New dataset…")
            self.dataset_needed.emit()
        elif enabled and (self.dataset is None or self.dataset is not self._workspace.dataset):
            self.use_selection(quiet=False)
        self.enabled = enabled and self.dataset is not None
        if self.enabled and self.dataset is not None:
            # Replaces "Recording needs a dataset" once one was created for it.
            self._workspace.show_status(f"Recording into {self.dataset.path.name}")
        self.changed.emit()
        return self.enabled

    def upcoming_episode_id(self) -> int | None:
        """The id the episode played now gets when kept (the dataset's numbering, after the
        episodes on their way), or None when not recording."""
        if not self.enabled or self.dataset is None:
            return None
        return self.dataset.next_episode_id + self.committer.waiting_for(self.dataset)

    def offer(self, episode: EpisodeData) -> bool:
        """A finished episode: held for review when recording (True), else let go."""
        if self.enabled and self.dataset is not None:
            self.pending = episode
            self.changed.emit()
            return True
        return False

    def keep(self, tags: tuple[str, ...] = (), notes: str = "") -> None:
        """Commit the episode under review (off the UI thread)."""
        if self.pending is None or self.dataset is None:
            return
        self.committer.commit(CommitJob(dataset=self.dataset, episode=self.pending,
                                        tags=tags, notes=notes))
        self._workspace.show_status(f"Saving the episode to {self.dataset.path.name}…")
        self.pending = None
        self.changed.emit()

    def discard(self) -> None:
        """Throw the episode under review away."""
        if self.pending is not None:
            self.pending = None
            self._workspace.show_status("Episode discarded")
            self.changed.emit()

    def last_episode(self) -> int | None:
        """The id of the last episode of the dataset on screen (the workspace's) not already
        deleted, or None; None too while a commit is on its way (the last may change)."""
        dataset = self._workspace.dataset
        if dataset is None or dataset.read_only or self.committer.busy:
            return None
        shown = self._workspace.deletions.shown_ids(dataset)
        return shown[-1] if shown else None

    def delete_last(self) -> None:
        """Delete the last episode of the dataset on screen, undoably (the workspace's
        `deletions`, as in the Datasets tab); the status bar names dataset and episode."""
        dataset, episode_id = self._workspace.dataset, self.last_episode()
        if dataset is None or episode_id is None:
            self._workspace.show_status("No episode to delete in the dataset on screen")
            return
        try:
            self._workspace.deletions.delete(dataset, [episode_id])
        except DatasetError as exc:
            self.problem.emit("Cannot delete the last episode", str(exc))
            return
        self._workspace.show_status(f"Deleted episode {episode_id} of {dataset.path.name}: "
                                    "Ctrl+Z (Play > Undo) brings it back")

    def _on_selection_changed(self) -> None:
        # A dataset that brought another env waits for the play view to switch (`set_env`).
        if self._env_id == self._workspace.env_id:
            self.use_selection(quiet=True)

    def _on_committed(self, episode_id: int) -> None:
        saved_to = self.committer.saved_to
        where = f" to {saved_to.path.name}" if saved_to is not None else ""
        self._workspace.show_status(f"Saved episode {episode_id}{where}")
        self._announce()

    def _on_failed(self, message: str) -> None:
        self.problem.emit("The episode was not saved",
                          f"{message}\n\nIt is kept in memory: Play > Retry failed commits.")

    def _announce(self) -> None:
        if self.dataset is not None:
            self._workspace.dataset_edited()  # the other views show the new episode
