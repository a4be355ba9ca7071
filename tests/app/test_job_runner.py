"""JobRunner: one job at a time, only the current job's signals; JobControls follows it."""

from __future__ import annotations

import threading
import time

from clonelab.app.widgets.job_controls import JobControls
from clonelab.app.widgets.job_runner import JobRunner
from tests.app.jobs import counting


def patient(steps: list[int], started: threading.Event):
    """A job like run_dagger: checks its cancel between records and returns what it has."""

    def factory(cancel: threading.Event):
        def work():
            for i in range(10_000):
                if cancel.is_set():
                    return {"cancelled": True, "steps": list(steps)}
                started.set()
                steps.append(i)
                time.sleep(0.01)
                yield i
            return {"cancelled": False, "steps": list(steps)}

        return work()

    return factory


def test_progress_then_finished_and_busy_follows(qtbot):
    runner = JobRunner()
    seen: list[int] = []
    busy: list[bool] = []
    runner.progress.connect(seen.append)
    runner.busy_changed.connect(busy.append)
    with qtbot.waitSignal(runner.finished, timeout=5000) as finished:
        assert runner.start(counting(4), tag="count")
        assert runner.busy
    assert finished.args == ["done after 4"]
    assert seen == [0, 1, 2, 3]
    assert busy == [True, False] and not runner.busy
    assert runner.tag == "count"


def test_a_second_start_is_refused_while_busy(qtbot):
    runner = JobRunner()
    release = threading.Event()
    assert runner.start(lambda cancel: release.wait(5) and "first")
    assert runner.start(lambda cancel: "second") is False
    with qtbot.waitSignal(runner.finished, timeout=5000) as finished:
        release.set()
    assert finished.args == ["first"]


def test_cancel_delivers_the_partial_result_and_never_finished(qtbot):
    runner = JobRunner()
    started = threading.Event()
    steps: list[int] = []
    finished: list[object] = []
    runner.finished.connect(finished.append)
    runner.start(patient(steps, started))
    assert started.wait(5)
    with qtbot.waitSignal(runner.cancelled, timeout=2000) as cancelled:
        runner.cancel()
    partial = cancelled.args[0]
    assert partial["cancelled"] is True and partial["steps"] == steps and steps
    assert finished == [] and not runner.busy
    qtbot.wait(100)
    assert finished == []


def test_a_job_that_ignores_cancel_is_closed_with_no_partial_result(qtbot):
    runner = JobRunner()
    started = threading.Event()

    def stubborn(cancel):
        def work():
            while True:
                started.set()
                time.sleep(0.01)
                yield None

        return work()

    runner.start(stubborn)
    assert started.wait(5)
    with qtbot.waitSignal(runner.cancelled, timeout=2000) as cancelled:
        runner.cancel()
    assert cancelled.args == [None]


def test_a_replaced_job_s_result_is_dropped(qtbot):
    runner = JobRunner()
    release = threading.Event()
    results: list[object] = []
    cancels: list[object] = []
    runner.finished.connect(results.append)
    runner.cancelled.connect(cancels.append)
    runner.start(lambda cancel: release.wait(5) and "stale", tag=1)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        assert runner.start(lambda cancel: "fresh", tag=2, replace=True)
    release.set()
    assert runner.shutdown(5000)
    qtbot.wait(100)
    assert results == ["fresh"] and cancels == [] and runner.tag == 2


def test_shutdown_waits_for_the_thread_and_nothing_arrives_after(qtbot):
    runner = JobRunner()
    started = threading.Event()
    ended = threading.Event()
    delivered: list[object] = []

    def slow(cancel):
        started.set()
        cancel.wait(5)
        time.sleep(0.2)  # winding down takes a while: shutdown must wait for it
        ended.set()
        return "late"

    for signal in (runner.finished, runner.cancelled, runner.failed):
        signal.connect(delivered.append)
    runner.start(slow)
    assert started.wait(5)
    assert runner.shutdown(5000) is True
    assert ended.is_set() and not runner.busy
    qtbot.wait(100)
    assert delivered == []


def test_failure_is_delivered_as_one_line(qtbot):
    runner = JobRunner()

    def broken(cancel):
        raise ValueError("no episodes\nmore")

    with qtbot.waitSignal(runner.failed, timeout=5000) as failed:
        runner.start(broken)
    assert failed.args == ["ValueError: no episodes"] and not runner.busy


def test_controls_follow_the_runner(qtbot):
    runner = JobRunner()
    controls = JobControls(runner, "Run", message_name="testMessage")
    qtbot.addWidget(controls)
    assert controls.run_button.isEnabled() and not controls.cancel_button.isEnabled()
    started = threading.Event()
    runner.start(patient([], started))
    assert started.wait(5)
    assert not controls.run_button.isEnabled() and controls.cancel_button.isEnabled()
    assert controls.progress_bar.maximum() == 0  # indeterminate until a total is known
    controls.set_progress(3, 10)
    assert (controls.progress_bar.value(), controls.progress_bar.maximum()) == (3, 10)
    with qtbot.waitSignal(runner.cancelled, timeout=2000):
        controls.cancel_button.click()
        assert controls.status.text() == "Cancelling..."
        assert not controls.cancel_button.isEnabled()
    assert controls.status.text() == "Cancelled."
    assert controls.run_button.isEnabled() and not controls.cancel_button.isEnabled()
    with qtbot.waitSignal(runner.failed, timeout=5000):
        runner.start(lambda cancel: 1 / 0)
    assert controls.message.text() == "ZeroDivisionError: division by zero"
    assert controls.status.text() == "" and controls.run_button.isEnabled()
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(lambda cancel: "ok")
    assert controls.status.text() == "Done."
    assert controls.progress_bar.value() == controls.progress_bar.maximum()


def test_settle_delivers_the_last_signal_without_the_event_loop(qtbot):
    # For quitting: the job's result arrives although the event loop will not run again.
    runner = JobRunner()
    results: list[object] = []
    runner.finished.connect(results.append)
    runner.start(lambda cancel: "committed")
    assert runner.settle(5000)
    assert results == ["committed"] and not runner.busy
    assert runner.settle(5000)  # nothing running: nothing to wait for


def test_shutdown_cancels_and_waits_for_an_endless_job(qtbot):
    # Moved from GeneratorWorker.stop, which the runner's shutdown replaced.
    def endless(cancel: threading.Event):
        while not cancel.is_set():
            time.sleep(0.01)
            yield None

    runner = JobRunner()
    runner.start(endless)
    assert runner.shutdown(5000) is True
    assert not runner.busy and runner.wait(0)


def test_a_finished_job_lets_go_of_what_its_factory_held(qtbot):
    # A commit's factory holds an episode's frames: they must not live as long as the view.
    import gc
    import weakref

    class Frames:
        pass

    frames = Frames()
    held = weakref.ref(frames)

    def job_for(payload: Frames):
        return lambda cancel: type(payload).__name__

    runner = JobRunner()
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(job_for(frames))
    del frames
    assert runner.wait(5000)
    gc.collect()
    assert held() is None


def test_the_progress_text_shows_whole_beside_the_buttons(qtbot):
    controls = JobControls(JobRunner(), "Train", message_name="testMessage")
    qtbot.addWidget(controls)
    controls.resize(1000, 60)
    controls.show()
    qtbot.waitExposed(controls)
    controls.set_progress(1500, 1500)
    controls.progress_bar.setFormat("step %v / %m  (epoch 5000.0)")
    controls.status.setText("Done.")
    text = controls.progress_bar.text()
    assert text == "step 1500 / 1500  (epoch 5000.0)"
    # The text sits inside the bar with room to spare (the style's chunk margins).
    assert controls.progress_bar.fontMetrics().horizontalAdvance(text) + 30 < (
        controls.progress_bar.width())
