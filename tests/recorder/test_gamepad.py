"""Gamepad maps (pure) and the reader, driven through SDL's virtual joystick."""

import numpy as np
import pygame
import pytest
from gymnasium import spaces

from clonelab.recorder.bindings import BindingError
from clonelab.recorder.catalog import get_entry
from clonelab.recorder.gamepad import (
    AxisBinding,
    GamepadMap,
    GamepadReader,
    GamepadState,
    active_controls,
)
from clonelab.recorder.sources import ActionSource, GamepadSource
from tests.support.virtual_gamepad import VirtualGamepad

PENDULUM = get_entry("Pendulum-v1").gamepad
LANDER = get_entry("LunarLander-v3").gamepad
BOX = spaces.Box(-1.0, 1.0, (2,), np.float32)


def state(axes=(0.0,) * 6, buttons=(), hat=(0, 0)):
    pressed = tuple(i in buttons for i in range(11))
    return GamepadState(axes=tuple(axes), buttons=pressed, hats=(hat,))


# --- maps ----------------------------------------------------------------------------------


def test_active_controls_name_buttons_hat_directions_and_pushed_axes():
    reading = state(axes=(-0.9, 0.1, 0.0, 0.0, 0.0, 0.5), buttons=(0, 7), hat=(1, 1))
    assert active_controls(reading, dead_zone=0.2) == {
        "button0", "button7", "hat_right", "hat_up", "axis0_neg", "axis5_pos",
    }
    assert active_controls(state()) == frozenset()


def test_stick_inside_the_dead_zone_is_the_noop_and_full_tilt_is_full_scale():
    np.testing.assert_array_equal(PENDULUM.action(state(axes=(0.15, 0, 0, 0, 0, 0))), [0.0])
    np.testing.assert_array_equal(PENDULUM.action(state(axes=(-1.0, 0, 0, 0, 0, 0))), [2.0])
    halfway = PENDULUM.action(state(axes=(0.6, 0, 0, 0, 0, 0)))  # (0.6-0.2)/0.8 of -2
    np.testing.assert_allclose(halfway, [-1.0])


def test_trigger_reads_zero_at_rest_and_full_when_pressed():
    binding = AxisBinding(axis=5, dim=1, trigger=True)
    assert binding.shaped(-1.0, 0.1) == 0.0
    assert binding.shaped(1.0, 0.1) == 1.0
    assert binding.shaped(-0.85, 0.1) == 0.0  # 7.5% pressed: inside the dead zone


def test_continuous_map_sums_axes_and_buttons_then_clips():
    pad = GamepadMap(
        action_space=BOX, noop=(0.0, 0.0),
        axes=(AxisBinding(axis=0, dim=0), AxisBinding(axis=5, dim=1, scale=0.5, trigger=True)),
        vectors={"button0": (0.5, 0.5)}, dead_zone=0.1,
    )
    action = pad.action(state(axes=(1.0, 0, 0, 0, 0, 1.0), buttons=(0,)))
    assert action.dtype == np.float32
    np.testing.assert_allclose(action, [1.0, 1.0])
    np.testing.assert_allclose(pad.action(state(axes=(0, 0, 0, 0, 0, -1.0))), [0.0, 0.0])


def test_discrete_map_uses_buttons_hat_and_combinations():
    pong = get_entry("ALE/Pong-v5").gamepad
    assert pong.action(state(hat=(0, 1))) == 2
    assert pong.action(state(hat=(0, 1), buttons=(0,))) == 4
    assert pong.action(state(axes=(0, 0.9, 0, 0, 0, 0))) == 3
    assert pong.action(state(buttons=(3,))) == 0  # unbound button: no-op


def test_remapped_map_survives_a_round_trip_through_a_plain_dict():
    remapped = LANDER.rebind("button0", "button3")
    assert remapped.action(state(buttons=(3,))) == 2
    assert remapped.action(state(buttons=(0,))) == 0
    rebuilt = GamepadMap.from_dict(remapped.to_dict(), action_space=LANDER.action_space, noop=0)
    assert rebuilt == remapped
    car = get_entry("CarRacing-v3").gamepad.rebind_axis(0, 3)
    np.testing.assert_allclose(car.action(state(axes=(0, 0, 0, -1.0, 0, 0))), [-1.0, 0.0, 0.0])
    rebuilt = GamepadMap.from_dict(car.to_dict(), action_space=car.action_space, noop=car.noop)
    assert rebuilt.axes == car.axes


def test_invalid_gamepad_maps_are_refused():
    with pytest.raises(BindingError, match="analog axes need a Box"):
        GamepadMap(action_space=spaces.Discrete(2), noop=0, axes=(AxisBinding(axis=0, dim=0),))
    with pytest.raises(BindingError, match=r"gamepad\.axes\[0\]\.dim"):
        GamepadMap(action_space=BOX, noop=(0.0, 0.0), axes=(AxisBinding(axis=0, dim=2),))
    with pytest.raises(BindingError, match="no axis binding number 4"):
        PENDULUM.rebind_axis(4, 1)


# --- the reader, with a virtual pad --------------------------------------------------------


@pytest.fixture
def reader():
    events = []
    gamepad_reader = GamepadReader(on_hotplug=events.append)
    gamepad_reader.events = events
    yield gamepad_reader
    gamepad_reader.close()


@pytest.fixture
def pad(reader):
    virtual = VirtualGamepad.attach()
    yield virtual
    virtual.detach()


def test_no_pad_means_no_reading_and_a_noop_source(reader):
    assert reader.poll() is None
    assert not reader.connected and reader.name is None
    source = GamepadSource(reader, PENDULUM)
    assert isinstance(source, ActionSource)
    np.testing.assert_array_equal(source.act(None), [0.0])


def test_virtual_stick_drives_a_continuous_action_with_a_dead_zone(reader, pad):
    source = GamepadSource(reader, PENDULUM)
    pad.set_axis(0, 0.1)
    np.testing.assert_array_equal(source.act(None), [0.0])
    pad.set_axis(0, -1.0)
    np.testing.assert_allclose(source.act(None), [2.0])
    pad.set_axis(0, 0.6)
    np.testing.assert_allclose(source.act(None), [-1.0], atol=1e-3)


def test_virtual_buttons_and_hat_drive_a_discrete_action(reader, pad):
    source = GamepadSource(reader, LANDER)
    assert source.act(None) == 0
    pad.set_hat(0, "left")
    assert source.act(None) == 1
    pad.set_hat(0)
    pad.set_button(0, True)
    assert source.act(None) == 2
    pad.set_button(0, False)
    pad.set_hat(0, "right")
    assert source.act(None) == 3


def test_unplugging_reports_it_and_falls_back_to_the_noop(reader, pad):
    source = GamepadSource(reader, LANDER)
    pad.set_button(0, True)
    assert source.act(None) == 2
    assert reader.connected
    pad.detach()
    assert source.act(None) == 0
    assert not reader.connected
    assert [event.kind for event in reader.events] == ["connected", "disconnected"]
    again = VirtualGamepad.attach()
    try:
        again.set_hat(0, "up")
        assert source.act(None) == 2 and reader.connected
    finally:
        again.detach()


def test_reader_recovers_after_pygame_quit(reader, pad):
    assert reader.poll() is not None
    pygame.quit()  # what a gymnasium renderer's close() does
    assert reader.poll() is None  # the virtual pad died with SDL's joystick subsystem
    assert [event.kind for event in reader.events] == ["connected", "disconnected"]
    replacement = VirtualGamepad.attach()
    try:
        replacement.set_button(2, True)
        reading = reader.poll()
        assert reading is not None and reading.buttons[2]
    finally:
        replacement.detach()
