"""The job toolkit: drain, relay, cancellable, cancel_check and Stopwatch."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

from clonelab.recorder.jobs import Stopwatch, cancel_check, cancellable, drain, relay


def count(n: int, closed: list[bool] | None = None) -> Generator[int, None, str]:
    """A job yielding 0..n-1 and returning "done n"; notes in `closed` when it is closed."""
    try:
        yield from range(n)
    finally:
        if closed is not None:
            closed.append(True)
    return f"done {n}"


def test_drain_returns_the_result_and_calls_back_per_record() -> None:
    records: list[int] = []
    assert drain(count(3), records.append) == "done 3"
    assert records == [0, 1, 2]
    assert drain(count(0)) == "done 0"


def test_relay_maps_filters_and_returns_the_inner_result() -> None:
    def outer() -> Generator[str, None, str]:
        inner = yield from relay(count(5), lambda i: f"step {i}", keep=lambda i: i % 2 == 0)
        return inner.upper()

    records: list[str] = []
    assert drain(outer(), records.append) == "DONE 5"
    assert records == ["step 0", "step 2", "step 4"]
    assert list(relay(count(2))) == [0, 1]


def test_cancellable_stops_before_the_next_record_and_closes_the_job() -> None:
    stop = threading.Event()
    closed: list[bool] = []
    seen: list[int] = []

    def on_record(i: int) -> None:
        seen.append(i)
        if i == 1:
            stop.set()

    assert drain(cancellable(count(10, closed), stop), on_record) is None
    assert seen == [0, 1] and closed == [True]
    assert drain(cancellable(count(2), None)) == "done 2"


def test_cancel_check_accepts_none_an_event_or_a_callable() -> None:
    assert cancel_check(None)() is False
    event = threading.Event()
    check = cancel_check(event)
    assert check() is False
    event.set()
    assert check() is True
    assert cancel_check(lambda: True)() is True


def test_stopwatch_counts_only_while_running() -> None:
    watch = Stopwatch()
    assert watch.elapsed == 0.0
    watch.start()
    time.sleep(0.02)
    watch.stop()
    counted = watch.total
    assert counted >= 0.015
    time.sleep(0.02)
    assert watch.elapsed == counted  # paused: the caller's time is not counted
    watch.start()
    assert watch.elapsed >= counted
