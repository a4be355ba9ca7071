"""PlayLoop: a QTimer stepping a real PlaySession with an action source."""

from __future__ import annotations

import sys
import time

import gymnasium
import numpy as np
import pytest

from clonelab.app.play.play_loop import PlayLoop
from clonelab.recorder.session import PlaySession


class ConstantSource:
    """An agent that always pushes the cart left (CartPole falls within a few dozen steps)."""

    def __init__(self) -> None:
        self.resets: list[int | None] = []
        self.fail = False

    def reset(self, seed: int | None = None) -> None:
        self.resets.append(seed)

    def act(self, observation):
        if self.fail:
            raise RuntimeError("the source broke")
        return 0


class FakeHuman(ConstantSource):
    """A person who acts only while `acting` is True."""

    device = "keyboard"

    def __init__(self) -> None:
        super().__init__()
        self.acting = False

    def has_input(self) -> bool:
        return self.acting


@pytest.fixture
def session():
    env = gymnasium.make("CartPole-v1")
    yield PlaySession(env, env_id="CartPole-v1")
    env.close()


def count_steps(loop: PlayLoop) -> list[object]:
    steps: list[object] = []
    loop.stepped.connect(steps.append)
    return steps


def test_an_episode_runs_to_its_end_and_pauses(qtbot, session):
    source = ConstantSource()
    loop = PlayLoop(session, source, fps=200, seed=3)
    steps = count_steps(loop)
    with qtbot.waitSignal(loop.episode_finished, timeout=10_000) as finished:
        loop.start()
    episode = finished.args[0]
    assert not loop.running and not loop.in_episode
    assert episode.steps == len(steps) > 0
    assert bool(episode.terminations[-1])
    assert set(episode.actors) == {"human"} and set(episode.devices) == {"keyboard"}
    assert np.all(episode.actions == 0)
    assert episode.seed == source.resets[0] is not None


def test_seeds_follow_the_loops_sequence(qtbot, session):
    seeds = []
    for _ in range(2):
        source = ConstantSource()
        loop = PlayLoop(session, source, fps=100, seed=11)
        loop.reset()
        loop.reset()
        seeds.append(source.resets)
    assert seeds[0] == seeds[1]
    assert seeds[0][0] != seeds[0][1]


@pytest.fixture
def long_session():
    """MountainCar never ends before 200 steps when pushed one way."""
    env = gymnasium.make("MountainCar-v0")
    yield PlaySession(env, env_id="MountainCar-v0")
    env.close()


def test_the_timer_keeps_to_the_rate_and_the_speed(qtbot, long_session):
    def steps_in(seconds: float, speed: float) -> tuple[int, float]:
        loop = PlayLoop(long_session, ConstantSource(), fps=40, seed=0)
        loop.set_speed(speed)
        steps = count_steps(loop)
        start = time.monotonic()
        loop.start()
        qtbot.wait(int(seconds * 1000))
        loop.pause()
        return len(steps), time.monotonic() - start

    normal, elapsed = steps_in(1.0, 1.0)
    # Scheduled by the clock: never ahead of the rate, and not far behind it.
    assert 0.5 * 40 * elapsed <= normal <= 40 * elapsed + 2
    slow, elapsed = steps_in(1.0, 0.25)
    assert slow <= 10 * elapsed + 2
    assert slow < normal


def test_speed_is_clipped_to_its_range(session):
    loop = PlayLoop(session, ConstantSource(), fps=30)
    loop.set_speed(10)
    assert loop.speed == 2.0 and loop.target_fps == 60
    loop.set_speed(0.01)
    assert loop.speed == 0.25


def test_the_achieved_rate_is_reported(qtbot, long_session):
    loop = PlayLoop(long_session, ConstantSource(), fps=50, seed=1)
    rates: list[float] = []
    loop.achieved_fps.connect(rates.append)
    loop.start()
    qtbot.waitUntil(lambda: len(rates) >= 10, timeout=10_000)
    loop.pause()
    assert np.isnan(rates[0])  # one step gives no interval yet
    assert 10 < rates[-1] < 60
    # A pause is not part of the pace: after it the rate is still the timer's.
    qtbot.wait(500)
    loop.start()
    qtbot.waitUntil(lambda: len(rates) >= 13, timeout=10_000)
    loop.pause()
    assert 10 < rates[-1] < 60


def test_wait_for_input_steps_only_while_the_player_acts(qtbot, session):
    human = FakeHuman()
    loop = PlayLoop(session, human, fps=100, seed=2)
    loop.set_wait_for_input(True)
    steps = count_steps(loop)
    loop.start()
    qtbot.wait(200)
    assert steps == [] and loop.running
    human.acting = True
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=5000)
    human.acting = False
    qtbot.wait(50)
    settled = len(steps)
    qtbot.wait(200)
    assert len(steps) == settled
    loop.pause()


def test_single_step_takes_exactly_one_step(qtbot, session):
    loop = PlayLoop(session, ConstantSource(), fps=30, seed=4)
    steps = count_steps(loop)
    loop.step_once()
    loop.step_once()
    qtbot.wait(100)
    assert [outcome.step for outcome in steps] == [1, 2]
    assert not loop.running


def test_an_exception_pauses_and_keeps_the_buffered_episode(qtbot, session):
    source = ConstantSource()
    loop = PlayLoop(session, source, fps=30, seed=5)
    loop.step_once()
    loop.step_once()
    source.fail = True
    with pytest.raises(RuntimeError, match="the source broke"):
        loop.step_once()
    assert not loop.running and loop.in_episode
    source.fail = False
    with qtbot.waitSignal(loop.episode_finished, timeout=10_000) as finished:
        loop.start()
    episode = finished.args[0]
    assert episode.steps >= 3 and episode.seed == source.resets[0]


def test_many_qt_calls_and_emits_do_not_abort_python(session):
    # PySide6 6.12.0 on Python 3.11 drops a reference to None per void call and to True per
    # emit, and this many calls abort CPython (none_dealloc): pyproject keeps it out.
    loop = PlayLoop(session, ConstantSource(), fps=30)
    for _ in range(150_000):
        loop.set_wait_for_input(False)  # a Python method that makes no Qt call: a baseline
        loop._timer.setInterval(5)
        loop.running_changed.emit()
    assert sys.getrefcount(None) > 0
