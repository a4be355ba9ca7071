"""GeneratorWorker (the engine under JobRunner): a Qt-free generator on a QThread, reported
through signals."""

from __future__ import annotations

import threading
import time

import pytest

from clonelab.app.widgets.workers import GeneratorWorker
from tests.app.jobs import counting


def test_progress_then_finished_with_the_return_value(qtbot):
    worker = GeneratorWorker(counting(5))
    seen: list[int] = []
    worker.progress.connect(seen.append)
    with qtbot.waitSignal(worker.finished, timeout=5000) as finished:
        worker.start()
    assert finished.args == ["done after 5"]
    assert worker.wait()
    qtbot.waitUntil(lambda: len(seen) == 5, timeout=2000)
    assert seen == [0, 1, 2, 3, 4]


def test_a_plain_result_finishes_without_progress(qtbot):
    worker = GeneratorWorker(lambda cancel: 42)
    with qtbot.waitSignal(worker.finished, timeout=5000) as finished:
        worker.start()
    assert finished.args == [42]
    assert worker.wait()


def test_failure_is_one_line_and_finished_is_not_emitted(qtbot):
    def factory(cancel):
        def work():
            yield 1
            raise ValueError("the dataset at /tmp/x is empty\nsecond line")

        return work()

    worker = GeneratorWorker(factory)
    finished: list[object] = []
    worker.finished.connect(finished.append)
    with qtbot.waitSignal(worker.failed, timeout=5000) as failed:
        worker.start()
    assert failed.args == ["ValueError: the dataset at /tmp/x is empty"]
    assert worker.wait()
    assert finished == []


def test_cancel_stops_a_long_generator_within_a_second(qtbot):
    started = threading.Event()
    steps: list[int] = []

    def factory(cancel):
        def work():
            for i in range(10_000):
                started.set()
                steps.append(i)
                time.sleep(0.01)
                yield i
            return "should not get here"

        return work()

    worker = GeneratorWorker(factory)
    finished: list[object] = []
    worker.finished.connect(finished.append)
    worker.start()
    assert started.wait(5)
    with qtbot.waitSignal(worker.cancelled, timeout=1000):
        worker.cancel()
    assert worker.wait(1000)
    assert finished == []
    assert len(steps) < 10_000


def test_the_factory_receives_the_cancel_event(qtbot):
    # One-shot work with no yields can still watch the event itself.
    def factory(cancel: threading.Event):
        assert cancel.wait(5)
        return "stopped early"

    worker = GeneratorWorker(factory)
    worker.start()
    with qtbot.waitSignal(worker.cancelled, timeout=5000):
        worker.cancel()
    assert worker.wait()


def test_a_worker_runs_once(qtbot):
    worker = GeneratorWorker(lambda cancel: None)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    assert worker.wait()
    with pytest.raises(RuntimeError, match="runs once"):
        worker.start()


def test_deleting_the_owner_cancels_the_work_without_a_crash(qtbot):
    from PySide6.QtCore import QObject

    started = threading.Event()
    stopped = threading.Event()

    def factory(cancel):
        started.set()
        if cancel.wait(5):
            stopped.set()
        return "late"

    owner = QObject()
    worker = GeneratorWorker(factory, owner)
    worker.start()
    assert started.wait(5)
    owner.deleteLater()  # e.g. the window closed while a summary was computing
    del owner, worker
    qtbot.waitUntil(stopped.is_set, timeout=5000)
