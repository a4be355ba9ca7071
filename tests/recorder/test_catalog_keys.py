"""Game keys and the app's one-key shortcuts never meet: the catalog, JSON maps and remaps."""

import json
from pathlib import Path

import pytest

from clonelab.recorder.bindings import BindingError
from clonelab.recorder.catalog import CATALOG, get_entry
from clonelab.recorder.control_map import ControlMapError, load_control_map, with_saved_controls
from clonelab.recorder.keyboard import APP_KEYS, APP_SHORTCUTS, KEY_NAMES

EXAMPLES = sorted((Path(__file__).parents[2] / "assets" / "controls").glob("*.json"))


def test_the_app_keys_are_the_shortcuts_that_are_key_names():
    assert set(APP_KEYS) == {"p", "r", "k", "d", "t"}
    assert all(APP_SHORTCUTS[command].lower() == key for key, command in APP_KEYS.items())
    assert set(APP_KEYS) <= KEY_NAMES


@pytest.mark.parametrize("env_id", sorted(CATALOG))
def test_no_catalog_entry_binds_an_app_key(env_id):
    bound = get_entry(env_id).keyboard.bound_names
    assert not bound & set(APP_KEYS), f"{env_id} binds {sorted(bound & set(APP_KEYS))}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_no_example_control_map_binds_an_app_key(path):
    assert not load_control_map(path).entry.keyboard.bound_names & set(APP_KEYS)


def test_minigrid_picks_up_and_drops_on_keys_of_its_own():
    keys = get_entry("MiniGrid-Empty-5x5-v0").keyboard
    assert keys.action(["tab"]) == 3 and keys.action(["shift"]) == 4  # pickup, drop


def test_a_json_map_that_binds_an_app_key_is_refused_in_one_line(tmp_path):
    path = tmp_path / "acrobot.json"
    path.write_text(json.dumps({"env_id": "Acrobot-v1", "action_kind": "discrete",
                                "keyboard": {"left": 0, "p": 2}}))
    with pytest.raises(ControlMapError) as caught:
        load_control_map(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "keyboard['p']" in message and "pause shortcut" in message and "another key" in message


def test_a_combination_with_an_app_key_is_refused_too(tmp_path):
    path = tmp_path / "acrobot.json"
    path.write_text(json.dumps({"env_id": "Acrobot-v1", "action_kind": "discrete",
                                "keyboard": {"left": 0, "d+right": 2}}))
    with pytest.raises(ControlMapError, match="discard shortcut"):
        load_control_map(path)


def test_remapping_onto_an_app_key_is_refused():
    keys = get_entry("CartPole-v1").keyboard
    with pytest.raises(BindingError, match="record shortcut"):
        keys.rebind("right", "r")


def test_saved_controls_that_bind_an_app_key_do_not_load():
    entry = get_entry("MiniGrid-Empty-5x5-v0")
    saved = {"keyboard": {"left": 0, "right": 1, "up": 2, "p": 3}}  # an older saved remap
    with pytest.raises(BindingError, match="pause shortcut"):
        with_saved_controls(entry, saved)
