"""The person at the controls: keys and pad as one ActionSource, and the takeover key on top."""

from __future__ import annotations

from clonelab.recorder.catalog import get_entry
from clonelab.recorder.controls import GamepadState
from clonelab.recorder.human_source import HumanSource
from clonelab.recorder.takeover_human import TAKEOVER_BUTTON, TAKEOVER_KEY, TakeoverHuman


def cartpole_human() -> HumanSource:
    entry = get_entry("CartPole-v1")
    return HumanSource(entry.keyboard, entry.gamepad)


def test_a_tap_between_two_acts_still_counts_once():
    human = cartpole_human()
    noop = human.act(None)
    human.press("right")
    human.release("right")  # up again before the next act
    assert human.has_input()
    assert human.act(None) != noop and human.device == "keyboard"
    assert human.act(None) == noop  # the tap counted once
    assert human.binds("right") and not human.binds("q")


def test_focus_lost_forgets_held_keys():
    human = cartpole_human()
    noop = human.act(None)
    human.press("left")
    human.release_all()
    assert not human.has_input() and human.act(None) == noop


def test_the_takeover_key_and_button_want_control_without_changing_the_action():
    human = TakeoverHuman(cartpole_human())
    noop = human.act(None)
    assert human.plays(TAKEOVER_KEY) and not human.wants_control(None)
    human.press(TAKEOVER_KEY)
    assert human.wants_control(None) and human.act(None) == noop  # the key binds no action
    human.release(TAKEOVER_KEY)
    assert not human.holding
    buttons = [False] * (TAKEOVER_BUTTON + 1)
    buttons[TAKEOVER_BUTTON] = True
    human.set_gamepad_state(GamepadState(axes=(), buttons=tuple(buttons), hats=()))
    assert human.holding
    human.set_gamepad_state(None)
    assert not human.holding
