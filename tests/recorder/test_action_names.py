"""Action and observation names: every catalog entry has them, and control maps may give them."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from gymnasium import spaces

from clonelab.recorder.action_names import env_names, reported_action_names
from clonelab.recorder.catalog import CATALOG, EnvBuildError, get_entry, make_env
from clonelab.recorder.control_map import ControlMapError, control_map_to_dict, load_control_map
from clonelab.recorder.episode import format_action
from clonelab.recorder.schema import row_shape


@pytest.mark.parametrize("env_id", sorted(CATALOG))
def test_every_catalog_entry_names_each_action(env_id):
    space = get_entry(env_id).keyboard.action_space
    if env_id.startswith("ALE/"):
        try:
            make_env(env_id).close()
        except EnvBuildError:
            pytest.skip("ALE ROMs are not installed")
    names = env_names(env_id).actions
    count = space.n if isinstance(space, spaces.Discrete) else int(np.prod(space.shape))
    assert len(names) == count
    assert all(name and not name.isdigit() for name in names)


@pytest.mark.parametrize("env_id", sorted(
    env_id for env_id, entry in CATALOG.items() if entry.observation_kind == "vector"))
def test_every_vector_observation_entry_is_named(env_id):
    env = make_env(env_id)
    size = int(np.prod(row_shape(env.observation_space)))  # a Dict: its flat vector
    env.close()
    rows = env_names(env_id).observation_rows(size)
    assert len(set(rows)) == size
    assert not any(row.isdigit() for row in rows)


def test_actions_read_as_names_in_every_form():
    lander = env_names("LunarLander-v3")
    assert lander.action(np.int64(2)) == "fire main engine"
    assert format_action(1, lander.actions) == "fire left engine"
    car = env_names("CarRacing-v3")
    assert car.action(np.array([-0.5, 1.0, 0.0])) == "steer -0.500, gas 1.000, brake 0.000"
    assert car.vector_change([0.0, 0.0, 0.8]) == "brake +0.8"
    assert car.action_dimensions(3) == ["steer", "gas", "brake"]
    assert env_names("CartPole-v1").observation_rows(4)[2] == "pole angle"


def test_unnamed_actions_stay_numbers():
    assert format_action(3) == "3"
    assert format_action([0.25, -1.0]) == "[0.250, -1.000]"
    nameless = env_names("no-such-env-v0")
    assert nameless.action(5) == "5"
    assert nameless.action_dimensions(2) == ["a0", "a1"]
    assert nameless.observation_rows(2) == ["0", "1"]


def test_an_env_that_reports_its_actions_names_them():
    # ALE's get_action_meanings, without needing a ROM.
    ale = SimpleNamespace(unwrapped=SimpleNamespace(
        get_action_meanings=lambda: ["NOOP", "UPRIGHTFIRE", "DOWN"]))
    assert reported_action_names(ale) == ("noop", "up right fire", "down")
    assert env_names("ALE/Other-v5", env=ale).action(1) == "up right fire"


@pytest.mark.skipif("ALE/Breakout-v5" not in CATALOG, reason="no Breakout entry")
def test_breakout_is_named_by_ale_itself():
    try:
        make_env("ALE/Breakout-v5").close()
    except EnvBuildError:
        pytest.skip("ALE ROMs are not installed")
    assert env_names("ALE/Breakout-v5").actions == ("noop", "fire", "right", "left")


def _acrobot_map(tmp_path, **fields):
    data = {"env_id": "Acrobot-v1", "action_kind": "discrete",
            "keyboard": {"left": 0, "right": 2}, **fields}
    path = tmp_path / "acrobot.json"
    path.write_text(json.dumps(data))
    return path


def test_a_control_map_names_its_actions_and_observations(tmp_path):
    names = ["swing back", "rest", "swing on"]
    path = _acrobot_map(tmp_path, action_names=names,
                        observation_names=[f"o{i}" for i in range(6)])
    entry = load_control_map(path).entry
    assert env_names("Acrobot-v1", entry=entry).action(2) == "swing on"
    assert env_names("Acrobot-v1", entry=entry).observation_rows(6)[0] == "o0"
    assert control_map_to_dict(entry)["action_names"] == names
    # A map without names keeps the written ones.
    plain = load_control_map(_acrobot_map(tmp_path)).entry
    assert env_names("Acrobot-v1", entry=plain).action(2) == "torque +1"
    assert "action_names" not in control_map_to_dict(plain)
    # The entry of another env names nothing here.
    assert env_names("CartPole-v1", entry=entry).action(1) == "push right"


@pytest.mark.parametrize("names", [["one", "two"], "rest", ["a", "", "c"], [1, 2, 3]])
def test_control_map_names_that_do_not_fit_are_refused_in_one_line(tmp_path, names):
    with pytest.raises(ControlMapError) as caught:
        load_control_map(_acrobot_map(tmp_path, action_names=names))
    assert caught.value.field == "action_names"
    assert "3 non-empty strings" in str(caught.value)
    assert "\n" not in str(caught.value)
