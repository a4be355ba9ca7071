"""The job toolkit: what every long job (training, DAgger, IRL, export, replay) shares.

A job is a generator of frozen progress records that returns its result (as
`StopIteration.value`). It takes a `CancelCheck` and checks it between records: `cancel_check`
turns one into a plain callable, `cancellable` adds a cancel to a job without one. `Stopwatch`
counts the job's own time (not the time a caller holds a record), `relay` nests one job inside
another, and `drain` runs a job to its result. No torch and no Qt here, so recorder jobs use it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

__all__ = ["CancelCheck", "Job", "Stopwatch", "cancel_check", "cancellable", "drain", "relay"]

Record = TypeVar("Record")
Result = TypeVar("Result")

CancelCheck = Callable[[], bool] | threading.Event
"""A callable returning True, or a `threading.Event`, that asks a job to stop early."""

Job = Generator[Record, None, Result]
"""A progress generator: yields records, returns its result."""


def cancel_check(cancel: CancelCheck | None) -> Callable[[], bool]:
    """A callable that says whether `cancel` asks to stop (never, for None)."""
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel


class Stopwatch:
    """Counts time inside a job only: `stop()` before yielding a record, `start()` after.
    `now` is the time source (seconds): a test passes a fake one."""

    def __init__(self, now: Callable[[], float] = time.perf_counter) -> None:
        self.total = 0.0
        self._since: float | None = None
        self._now = now

    def start(self) -> None:
        """Start (or resume) counting."""
        self._since = self._now()

    def stop(self) -> None:
        """Pause counting; `total` holds the seconds counted so far."""
        self.total = self.elapsed
        self._since = None

    @property
    def elapsed(self) -> float:
        """Seconds counted so far, including the running stretch."""
        running = self._now() - self._since if self._since is not None else 0.0
        return self.total + running


def relay(
    job: Generator[Record, None, Result],
    wrap: Callable[[Record], Any] | None = None,
    *,
    keep: Callable[[Record], bool] | None = None,
) -> Generator[Any, None, Result]:
    """Re-yield `job`'s records (through `wrap`, when given) and return its result.

    `result = yield from relay(train_bc(...), lambda r: Outer(..., train=r))` nests one job in
    another. `keep` drops the records it refuses (the job still runs through them).
    """
    while True:
        try:
            record = next(job)
        except StopIteration as done:
            return done.value
        if keep is None or keep(record):
            yield wrap(record) if wrap is not None else record


def cancellable(
    job: Generator[Record, None, Result], cancel: CancelCheck | None
) -> Generator[Record, None, Result | None]:
    """`job`, stopped before its next record once `cancel` is set (then the result is None).

    For jobs that take no cancel of their own: the job is closed, so its `finally` runs.
    """
    stop = cancel_check(cancel)
    while True:
        if stop():
            job.close()
            return None
        try:
            record = next(job)
        except StopIteration as done:
            return done.value
        yield record


def drain(
    job: Generator[Record, None, Result],
    on_record: Callable[[Record], object] | None = None,
) -> Result:
    """Run `job` to the end and return its result, calling `on_record` with every record."""
    while True:
        try:
            record = next(job)
        except StopIteration as done:
            return done.value
        if on_record is not None:
            on_record(record)
