"""The engine under `JobRunner`: one run of a Qt-free job on a QThread, reported through signals.

The work is a *factory*: a callable that receives a `threading.Event` (set when the user cancels)
and returns either a generator, which yields progress records and returns the result (as
`models.training.train_bc` does), or a plain result for one-shot work such as a dataset commit.
The worker only emits signals; it never touches widgets, so the views stay on the UI thread.
Views do not make workers themselves: they own a `app.widgets.job_runner.JobRunner`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from clonelab.app.window.errors import one_line

log = logging.getLogger(__name__)

WorkFactory = Callable[[threading.Event], Any]

# Every thread started, until it has finished: Python must never collect a QThread that still
# runs (Qt aborts), even when the widget that owned the worker is gone.
_THREADS: set[QThread] = set()


class _Runner(QThread):
    """The thread that drives the generator; reports through its owner's signals."""

    def __init__(self, worker: GeneratorWorker) -> None:
        super().__init__()
        self._worker = worker

    def run(self) -> None:
        self._worker._drive()


class GeneratorWorker(QObject):
    """Runs `factory(cancel_event)` on a QThread and reports through signals.

    `progress(object)` for each yielded record, `finished(object)` with the generator's return
    value, `failed(str)` with a one-line message, `cancelled(object)` when `cancel()` stopped the
    work, with what the work returned once it saw the cancel (a job's partial result; None when
    it had to be closed). Exactly one of finished, failed, cancelled is emitted per run.

    On cancel a generator is resumed once more, so a job that checks its cancel between records
    (`train_bc`, `run_dagger`, `train_adversarial`) returns what it has; one that yields again
    instead is closed there.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(object)

    def __init__(self, factory: WorkFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory: WorkFactory | None = factory
        self._cancel = threading.Event()
        self._thread: _Runner | None = None
        # The owner went away (its window closed): nobody wants the result any more.
        self.destroyed.connect(self._cancel.set)

    def start(self) -> None:
        """Start the work on a new thread (once per worker)."""
        if self._thread is not None:
            raise RuntimeError("a GeneratorWorker runs once; make a new one")
        for finished in [thread for thread in _THREADS if thread.isFinished()]:
            _THREADS.discard(finished)
        self._thread = _Runner(self)
        _THREADS.add(self._thread)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the work to stop; it stops at its next yield (or when the factory checks)."""
        self._cancel.set()

    def is_running(self) -> bool:
        """Whether the thread is still working."""
        return self._thread is not None and self._thread.isRunning()

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until the thread ends (for shutdown and tests); True when it ended."""
        return self._thread is None or self._thread.wait(timeout_ms)

    def _drive(self) -> None:
        # Runs on the worker thread: signals emitted here are queued to the receivers' threads.
        # The factory's closure may hold a dataset or an episode's frames: let them go.
        factory, self._factory = self._factory, None
        assert factory is not None  # start() runs once
        try:
            work = factory(self._cancel)
            if isinstance(work, Generator):
                result = self._iterate(work)
            else:
                result = work
        except Exception as exc:  # noqa: BLE001 - every failure becomes one message
            log.exception("background work failed")
            self._report("failed", one_line(exc))
            return
        if self._cancel.is_set():
            self._report("cancelled", result)
        else:
            self._report("finished", result)

    def _report(self, signal: str, *args: Any) -> None:
        try:
            getattr(self, signal).emit(*args)
        except RuntimeError:  # the worker's Qt object was deleted with its owner
            log.debug("work ended (%s) after its owner was deleted", signal)

    def _iterate(self, work: Generator) -> Any:
        resumed_after_cancel = False
        while True:
            if self._cancel.is_set():
                if resumed_after_cancel:  # it ignored the cancel: stop it here
                    work.close()
                    return None
                resumed_after_cancel = True
            try:
                record = next(work)
            except StopIteration as stop:
                return stop.value
            if not self._cancel.is_set():
                self._report("progress", record)
