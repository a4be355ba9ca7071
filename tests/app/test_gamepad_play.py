"""Gamepad play through SDL's virtual joystick: continuous actions recorded, unplug pauses."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from clonelab.app.play.gamepad_poller import GamepadPoller
from clonelab.app.play.play_view import PlayView
from clonelab.app.window.settings import Settings
from clonelab.app.window.workspace import Workspace
from clonelab.recorder.controls import GamepadError
from clonelab.recorder.dataset import DemoDataset
from tests.support.virtual_gamepad import VirtualGamepad


@pytest.fixture
def pad():
    device = VirtualGamepad.attach()
    yield device
    device.detach()


@pytest.fixture
def pendulum(qtbot, tmp_path, pad):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    state = Workspace("Pendulum-v1")
    messages: list[str] = []
    state.status_message.connect(messages.append)
    view = PlayView(state, settings)
    view.messages = messages
    qtbot.addWidget(view)
    view.show()
    view.poller.poll()
    yield view
    view.shutdown()


def test_the_stick_drives_a_continuous_action_that_is_recorded(qtbot, tmp_path, pad, pendulum):
    view = pendulum
    assert view.create_dataset(tmp_path / "pad-demos") and view.set_recording(True)
    # Pendulum's left stick: x in -1..1 past a 0.2 dead zone, times -2 (left is +torque).
    expected = []
    for value, torque in [(-1.0, 2.0), (0.6, -1.0), (0.1, 0.0), (1.0, -2.0)]:
        pad.set_axis(0, value)
        view.poller.poll()
        view.step_once()
        expected.append(torque)
    assert view.source.device == "gamepad"
    assert "Control: human (gamepad)" in view.frame.hud()
    pad.set_axis(0, 0.0)
    view.poller.poll()
    while view.pending_episode is None:  # Pendulum is cut at 200 steps
        view.step_once()
    with qtbot.waitSignal(view.committer.committed, timeout=10_000):
        view.keep_episode()

    episode = DemoDataset.open(tmp_path / "pad-demos").load_episode(0)
    assert episode.steps == 200
    np.testing.assert_allclose(episode.actions[:4, 0], expected, atol=1e-3)
    np.testing.assert_allclose(episode.actions[4:, 0], 0.0)
    assert set(episode.devices) == {"gamepad"}  # an idle pad still holds the controls


def test_unplugging_pauses_and_plugging_back_lets_play_resume(qtbot, pad, pendulum):
    view = pendulum
    pad.set_axis(0, -1.0)
    view.poller.poll()
    steps: list[object] = []
    view.loop.stepped.connect(steps.append)
    view.toggle_pause()
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=5000)
    assert view.source.device == "gamepad"

    pad.detach()
    view.poller.poll()
    assert not view.loop.running and view.loop.in_episode  # the episode is kept
    assert "unplugged" in view.frame.banner()
    assert any("Gamepad unplugged" in message for message in view.messages)
    taken = len(steps)
    qtbot.wait(200)
    assert len(steps) == taken

    again = VirtualGamepad.attach()
    try:
        view.poller.poll()
        assert "is back" in view.frame.banner()
        view.toggle_pause()
        qtbot.waitUntil(lambda: len(steps) > taken, timeout=5000)
        assert view.loop.session.steps == len(steps)  # one episode, before and after the unplug
    finally:
        view.pause()
        again.detach()


def test_a_pad_button_can_be_rebound(qtbot, pad, pendulum):
    view = pendulum
    view.controls.select_control("hat_left")
    view.controls._on_rebind_pad_clicked()
    pad.set_button(3, True)
    view.poller.poll()
    assert "'hat_left' is now 'button3'" in view.controls.message()
    view.poller.poll()
    view.step_once()
    assert view.loop.session.finish_episode().actions[0, 0] == pytest.approx(2.0)


def test_axis_invert_and_dead_zone_change_the_action(qtbot, pad, pendulum):
    view = pendulum
    view.controls.set_inverted(0, False)  # the catalog's -2 scale becomes +2
    view.controls.set_dead_zone(0.5)
    pad.set_axis(0, 0.75)  # (0.75 - 0.5) / 0.5 = 0.5 of full travel
    view.poller.poll()
    view.step_once()
    assert view.loop.session.finish_episode().actions[0, 0] == pytest.approx(1.0, abs=1e-3)


def test_no_gamepad_support_is_a_status_message_not_a_crash(qtbot):
    def broken_reader(**kwargs):
        raise GamepadError("cannot start SDL to read gamepads: no joystick subsystem")

    poller = GamepadPoller(reader_factory=broken_reader)
    with qtbot.waitSignal(poller.unavailable, timeout=1000) as unavailable:
        assert not poller.start()
    assert "no joystick subsystem" in unavailable.args[0]
    poller.poll()  # polling without a reader does nothing
    poller.stop()


def test_an_axis_can_be_detected_by_moving_the_stick(qtbot, pad, pendulum):
    view = pendulum
    view.controls._start_axis_detect(0)
    pad.set_axis(3, -1.0)  # the right stick instead of the left
    view.poller.poll()
    assert view.entry.gamepad.axes[0].axis == 3
    view.step_once()
    pad.set_axis(3, 0.0)
    pad.set_axis(0, -1.0)  # the old axis no longer drives the action
    view.poller.poll()
    view.step_once()
    assert view.loop.session.finish_episode().actions[:, 0].tolist() == pytest.approx([2.0, 0.0])
