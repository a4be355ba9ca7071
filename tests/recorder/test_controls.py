"""Keyboard maps, the keyboard action source, and user JSON control maps."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from gymnasium import spaces

from clonelab.recorder.bindings import BindingError
from clonelab.recorder.catalog import get_entry, make_env
from clonelab.recorder.controls import (
    KEY_NAMES,
    ControlMapError,
    KeyboardMap,
    control_map_to_dict,
    load_control_map,
    save_control_map,
    with_saved_controls,
)
from clonelab.recorder.sources import ActionSource, KeyboardSource

EXAMPLES = sorted((Path(__file__).parents[2] / "assets" / "controls").glob("*.json"))
BOX = spaces.Box(-1.0, 1.0, (2,), np.float32)


# --- keyboard maps -------------------------------------------------------------------------


def test_key_names_are_the_documented_lowercase_names():
    assert {"left", "right", "up", "down", "space", "enter", "shift", "ctrl", "a", "z", "0"} <= (
        KEY_NAMES
    )
    assert all(name == name.lower() for name in KEY_NAMES)


def test_discrete_combination_is_looked_up_whatever_the_press_order():
    pong = get_entry("ALE/Pong-v5").keyboard
    assert pong.action(["up"]) == 2
    assert pong.action(["up", "space"]) == 4
    assert pong.action(["space", "up"]) == 4
    assert pong.action({"space", "down"}) == 5


def test_discrete_unknown_combination_and_nothing_pressed_give_the_noop():
    lander = get_entry("LunarLander-v3").keyboard
    assert lander.action([]) == 0
    assert lander.action(["left", "right"]) == 0
    mountain_car = get_entry("MountainCar-v0").keyboard
    assert mountain_car.action([]) == 1


def test_unbound_keys_are_ignored():
    cartpole = get_entry("CartPole-v1").keyboard
    assert cartpole.action(["right", "x", "shift"]) == 1


def test_continuous_keys_add_their_vectors_to_the_noop():
    lander = get_entry("LunarLanderContinuous-v3").keyboard
    action = lander.action(["up", "left"])
    assert action.dtype == np.float32
    np.testing.assert_array_equal(action, [1.0, -1.0])
    np.testing.assert_array_equal(lander.action([]), [0.0, 0.0])
    car = get_entry("CarRacing-v3").keyboard
    np.testing.assert_array_equal(car.action(["left", "right", "up"]), [0.0, 1.0, 0.0])


def test_continuous_sum_is_clipped_to_the_action_bounds():
    keymap = KeyboardMap.from_dict(
        {"a": [0.75, 0.0], "b": [0.75, -1.0], "c": [0.0, -1.0]}, action_space=BOX, noop=(0.0, 0.0)
    )
    np.testing.assert_array_equal(keymap.action(["a", "b", "c"]), [1.0, -1.0])


@pytest.mark.parametrize(
    ("bindings", "space", "noop", "fragment"),
    [
        ({"left": 0, "jump": 1}, spaces.Discrete(2), 0, "unknown input name 'jump'"),
        ({"Left": 0}, spaces.Discrete(2), 0, "unknown input name 'Left'"),
        ({"left": 2}, spaces.Discrete(2), 0, "action 2 is outside the action space Discrete(2)"),
        ({"left": 0}, spaces.Discrete(2), 5, "5 is outside the action space"),
        ({"left": 0, "left+left": 1}, spaces.Discrete(2), 0, "without repeats"),
        ({"left": [1.0]}, spaces.Discrete(2), 0, "wrong action kind"),
        ({"left": 1}, BOX, (0.0, 0.0), "wrong action kind"),
        ({"left": [1.0]}, BOX, (0.0, 0.0), "expected 2 numbers"),
        ({"left": [3.0, 0.0]}, BOX, (0.0, 0.0), "outside the action space"),
        ({"left": [1.0, 0.0]}, BOX, (2.0, 0.0), "outside the action space"),
        ({"left": [1.0, 0.0]}, BOX, 0, "wrong action kind"),
        ({"up+left": [1.0, 0.0]}, BOX, (0.0, 0.0), "unknown input name 'up+left'"),
    ],
)
def test_invalid_keyboard_maps_are_refused_up_front(bindings, space, noop, fragment):
    with pytest.raises(BindingError) as caught:
        KeyboardMap.from_dict(bindings, action_space=space, noop=noop)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(("keyboard", "noop"))


def test_unsupported_action_spaces_are_refused():
    with pytest.raises(BindingError, match="MultiDiscrete.*is not supported"):
        KeyboardMap.from_dict({}, action_space=spaces.MultiDiscrete([2, 2]), noop=0)


def test_rebind_moves_a_key_in_every_binding():
    pong = get_entry("ALE/Pong-v5").keyboard
    remapped = pong.rebind("space", "f")
    assert remapped.action(["f", "up"]) == 4
    assert remapped.action(["space", "up"]) == 2
    assert pong.action(["space", "up"]) == 4  # the original is untouched
    with pytest.raises(BindingError, match="already bound"):
        pong.rebind("space", "up")
    with pytest.raises(BindingError, match="not bound"):
        pong.rebind("x", "y")


def test_keyboard_source_acts_on_held_keys():
    source = KeyboardSource(get_entry("ALE/Pong-v5").keyboard)
    assert isinstance(source, ActionSource)
    source.reset(seed=0)
    source.press("space")
    source.press("up")
    assert source.act(None) == 4
    source.release("space")
    assert source.act(None) == 2
    source.release_all()
    assert source.held == frozenset()
    assert source.act(None) == 0


# --- JSON control maps ---------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_control_maps_load_and_fit_their_env(path):
    entry = load_control_map(path).entry
    env = make_env(entry.env_id)
    try:
        assert entry.keyboard.action_space == env.action_space
        for key in entry.keyboard.bound_names:
            assert env.action_space.contains(entry.keyboard.action([key]))
        assert entry.gamepad is not None
    finally:
        env.close()


def test_examples_cover_both_action_kinds():
    kinds = {load_control_map(path).entry.action_kind for path in EXAMPLES}
    assert kinds == {"discrete", "continuous"}


def test_a_minimal_map_gets_defaults_from_the_env(tmp_path):
    path = _write(tmp_path, {"env_id": "Acrobot-v1", "action_kind": "discrete",
                             "keyboard": {"left": 0, "right": 2}})
    loaded = load_control_map(path)
    entry = loaded.entry
    assert loaded.path == path
    assert (entry.title, entry.fps, entry.observation_kind) == ("Acrobot-v1", 15, "vector")
    assert entry.keyboard.action([]) == 0  # the default no-op is the first action
    assert entry.gamepad is None and not entry.turn_based


def test_a_catalog_entry_round_trips_through_a_file(tmp_path):
    entry = get_entry("CarRacing-v3")
    path = tmp_path / "car.json"
    save_control_map(path, entry)
    loaded = load_control_map(path).entry
    assert control_map_to_dict(loaded) == control_map_to_dict(entry)
    assert loaded.keyboard.vectors == entry.keyboard.vectors
    assert loaded.gamepad.axes == entry.gamepad.axes
    assert [p.name for p in tmp_path.iterdir()] == ["car.json"]  # no temporary file left


def test_saving_over_an_existing_map_replaces_it_whole(tmp_path):
    path = tmp_path / "pong.json"
    save_control_map(path, get_entry("LunarLander-v3"))
    remapped = get_entry("ALE/Pong-v5")
    save_control_map(path, remapped)
    assert load_control_map(path).entry.env_id == "ALE/Pong-v5"


GOOD = {"env_id": "Acrobot-v1", "action_kind": "discrete", "keyboard": {"left": 0, "right": 2}}


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"keyboard": None}, "keyboard", "missing field"),
        ({"env_id": None}, "env_id", "missing field"),
        ({"keybaord": {}}, "keybaord", "unknown field"),
        ({"keyboard": {"left": 0, "jump": 2}}, "keyboard['jump']", "unknown input name 'jump'"),
        ({"keyboard": {"left": 3}}, "keyboard['left']", "outside the action space Discrete(3)"),
        ({"keyboard": {"left": [1.0]}}, "keyboard['left']", "wrong action kind"),
        ({"keyboard": ["left"]}, "keyboard", "expected an object"),
        ({"action_kind": "continuous"}, "action_kind", "wrong action kind"),
        ({"action_kind": "analog"}, "action_kind", "expected one of discrete, continuous"),
        ({"noop": 9}, "noop", "outside the action space"),
        ({"noop": [0.0]}, "noop", "wrong action kind"),
        ({"env_id": "NoSuchEnv-v0"}, "env_id", "cannot build environment 'NoSuchEnv-v0'"),
        ({"env_id": "Taxi-v4", "keyboard": {"left": 0}}, "env_id",
         "Box and Dict observations only"),
        ({"fps": 0}, "fps", "positive integer"),
        ({"title": 3}, "title", "expected a string"),
        ({"turn_based": "yes"}, "turn_based", "true or false"),
        ({"version": 2}, "version", "not supported"),
        ({"gamepad": {"buttons": {"button99": 0}}}, "gamepad.buttons['button99']",
         "unknown input name"),
        ({"gamepad": {"axes": [{"axis": 0, "dim": 0}]}}, "gamepad.axes", "wrong action kind"),
        ({"gamepad": {"dead_zone": 1.5}}, "gamepad.dead_zone", "must be in [0, 1)"),
        ({"gamepad": {"trigger": True}}, "gamepad.trigger", "unknown field"),
    ],
)
def test_bad_control_maps_name_the_file_and_the_field(tmp_path, change, field, fragment):
    data = {**GOOD, **change}
    data = {key: value for key, value in data.items() if value is not None}
    path = _write(tmp_path, data)
    with pytest.raises(ControlMapError) as caught:
        load_control_map(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"keyboard": {"left": 1}}, "keyboard['left']", "wrong action kind"),
        ({"keyboard": {"left": [-3.0]}}, "keyboard['left']", "outside the action space"),
        ({"gamepad": {"axes": [{"axis": 0, "dim": 1}]}}, "gamepad.axes[0].dim", "outside"),
        ({"gamepad": {"axes": [{"dim": 0}]}}, "gamepad.axes[0].axis", "missing field"),
        ({"gamepad": {"axes": [{"axis": 0, "dim": 0, "scale": "x"}]}}, "gamepad.axes[0].scale",
         "expected a number"),
    ],
)
def test_bad_continuous_maps_name_the_field(tmp_path, change, field, fragment):
    data = {"env_id": "Pendulum-v1", "action_kind": "continuous",
            "keyboard": {"left": [2.0]}, **change}
    with pytest.raises(ControlMapError) as caught:
        load_control_map(_write(tmp_path, data))
    assert f": {field}: " in str(caught.value)
    assert fragment in str(caught.value)


def test_bad_json_names_the_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"env_id": "Acrobot-v1",\n  "keyboard": {"left": 0,}\n}\n')
    with pytest.raises(ControlMapError, match=r"broken\.json: \(file\): bad JSON at line 2"):
        load_control_map(path)


def test_a_json_value_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(ControlMapError, match="expected a JSON object"):
        load_control_map(path)


def test_a_missing_or_binary_file_is_a_clear_error(tmp_path):
    with pytest.raises(ControlMapError, match=r"nothing\.json: \(file\): cannot read"):
        load_control_map(tmp_path / "nothing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ControlMapError, match="not a UTF-8 text file"):
        load_control_map(binary)


def _write(directory: Path, data: dict) -> Path:
    path = directory / "map.json"
    path.write_text(json.dumps(data))
    return path


def test_saved_controls_replace_the_entrys_maps_when_they_still_fit():
    pong = get_entry("ALE/Pong-v5")
    saved = control_map_to_dict(
        dataclasses.replace(pong, keyboard=pong.keyboard.rebind("space", "f")))
    remapped = with_saved_controls(pong, json.loads(json.dumps(saved)))
    assert remapped.keyboard.action(["f", "up"]) == 4
    assert remapped.gamepad == pong.gamepad and remapped.env_id == pong.env_id
    with pytest.raises(BindingError):  # a map of another action space no longer fits
        with_saved_controls(pong, {"keyboard": {"left": 9}})
