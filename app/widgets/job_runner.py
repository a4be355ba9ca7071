"""One job at a time for a view: start, cancel, shut down, and only the current job's results.

Every view that runs background work owns a `JobRunner` instead of its own worker bookkeeping.
A job is a factory `cancel_event -> generator | result` (see `app.widgets.workers`); the runner
runs it on a `GeneratorWorker` thread and forwards its signals, dropping every signal of a job
that was replaced since (a stale result never reaches the view).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from clonelab.app.widgets.workers import GeneratorWorker, WorkFactory

log = logging.getLogger(__name__)


class JobRunner(QObject):
    """Runs one job at a time and reports the current job only.

    Signals: `started()`, `progress(object)` per record, then exactly one of `finished(object)`
    (the result), `failed(str)` (a one-line message) or `cancelled(object)` (what the job returned
    once it saw the cancel: a partial result, or None). `busy_changed(bool)` follows `busy`, which
    holds from `start` until the job's last signal; `busy` is False again by the time that signal
    arrives, so a handler may start the next job.
    """

    started = Signal()
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: GeneratorWorker | None = None
        self._cancelling = False
        self._tag: Any = None
        # Every worker whose thread may still run: replaced jobs too, so shutdown waits for all.
        self._workers: list[GeneratorWorker] = []

    @property
    def busy(self) -> bool:
        """Whether a job runs (until its last signal has been delivered)."""
        return self._current is not None

    @property
    def tag(self) -> Any:
        """The `tag` given to the job started last (still set while its result is delivered)."""
        return self._tag

    def start(self, factory: WorkFactory, *, tag: Any = None, replace: bool = False) -> bool:
        """Run `factory`; False (and nothing starts) while a job runs, unless `replace`.

        With `replace`, the running job is cancelled and its signals are dropped from now on;
        `busy` stays True and no `cancelled` is emitted for it.
        """
        if self._current is not None and not replace:
            return False
        if self._current is not None:
            self._current.cancel()
        self._forget_ended()
        worker = GeneratorWorker(factory, self)
        worker.progress.connect(lambda record: self._on_progress(worker, record))
        worker.finished.connect(lambda result: self._on_end(worker, "finished", result))
        worker.failed.connect(lambda message: self._on_end(worker, "failed", message))
        worker.cancelled.connect(lambda partial: self._on_end(worker, "cancelled", partial))
        was_busy = self.busy
        self._current, self._cancelling, self._tag = worker, False, tag
        self._workers.append(worker)
        worker.start()
        if not was_busy:
            self.busy_changed.emit(True)
        self.started.emit()
        return True

    def cancel(self) -> None:
        """Ask the running job to stop; it ends with `cancelled`, never `finished`."""
        if self._current is not None:
            self._cancelling = True
            self._current.cancel()

    def drop(self) -> None:
        """Cancel the running job and forget it at once: none of its signals arrive any more."""
        if self._current is None:
            return
        self._current.cancel()
        self._current = None
        self.busy_changed.emit(False)

    def shutdown(self, wait_ms: int = 5000) -> bool:
        """Drop the running job and wait up to `wait_ms` for every thread; True once all ended.

        For a view's closeEvent: no signal of an earlier job is delivered afterwards.
        """
        self.drop()
        for worker in self._workers:
            worker.cancel()
        ended = all([worker.wait(wait_ms) for worker in self._workers])
        self._forget_ended()
        return ended

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until the running job's thread ends (tests, tools); True when it ended."""
        return self._current is None or self._current.wait(timeout_ms)

    def settle(self, timeout_ms: int = 30_000) -> bool:
        """Wait for the running job and deliver its last signal now, for when the event loop
        will not run again (the app is quitting); True once it was delivered."""
        worker = self._current
        if worker is None:
            return True
        if not worker.wait(timeout_ms):
            return False
        # The worker's signals are queued to lambdas, which Qt posts to the worker itself.
        QCoreApplication.sendPostedEvents(worker, QEvent.Type.MetaCall)
        return worker is not self._current

    def _forget_ended(self) -> None:
        # Only threads that may still run need waiting for. The ended workers stay children of
        # the runner (deleting one that Python still references crashes PySide); they hold
        # neither their job nor its result, so each costs a small QObject.
        self._workers = [worker for worker in self._workers
                         if worker is self._current or worker.is_running()]

    def _on_progress(self, worker: GeneratorWorker, record: Any) -> None:
        if worker is self._current and not self._cancelling:
            self.progress.emit(record)

    def _on_end(self, worker: GeneratorWorker, signal: str, value: Any) -> None:
        if worker is not self._current:
            log.debug("dropped the %s of a replaced job", signal)
            return
        if signal == "finished" and self._cancelling:
            signal = "cancelled"  # it finished before it saw the cancel: still a cancel
        self._current = None
        self.busy_changed.emit(False)
        getattr(self, signal).emit(value)
