"""The Workspace: env entries resolved in one place, a dataset and a policy each opened once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError, PolicyEnvMismatch, save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import UnknownEnvError, get_entry, make_env
from clonelab.recorder.controls import control_map_to_dict, load_control_map
from clonelab.recorder.dataset import DatasetError
from tests.app.demo_data import expert_dataset

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "controls"


def signals(workspace: Workspace) -> list[str]:
    """The names of the workspace's signals as they fire."""
    fired: list[str] = []
    for name in ("env_changed", "dataset_changed", "policy_changed"):
        getattr(workspace, name).connect(lambda name=name: fired.append(name))
    return fired


def test_entries_come_from_the_catalog_and_json_control_maps(qtbot):
    workspace = Workspace("CartPole-v1")
    assert workspace.entry == get_entry("CartPole-v1")
    with pytest.raises(UnknownEnvError, match="JSON control map"):
        workspace.select_env("MiniGrid-FourRooms-v0")
    assert workspace.env_id == "CartPole-v1"
    custom = load_control_map(ASSETS / "minigrid-four-rooms.json").entry
    workspace.add_entry(custom)
    fired = signals(workspace)
    workspace.select_env("MiniGrid-FourRooms-v0")
    assert fired == ["env_changed"] and workspace.entry == custom
    remapped = dataclasses.replace(custom, keyboard=custom.keyboard.rebind("left", "a"))
    workspace.set_entry(remapped)
    assert workspace.entry_for("MiniGrid-FourRooms-v0") is remapped  # the remapping in effect
    assert workspace.entry_for("CartPole-v1") == get_entry("CartPole-v1")


def test_a_dataset_of_another_env_brings_its_env_in_one_signal(qtbot, tmp_path):
    demos = expert_dataset(tmp_path / "acrobot", "Acrobot-v1", seeds=(0,), max_steps=5)
    workspace = Workspace("CartPole-v1")
    fired = signals(workspace)
    opened = workspace.open_dataset(demos.path)
    assert fired == ["dataset_changed"]
    assert workspace.env_id == "Acrobot-v1" and workspace.dataset is opened
    assert workspace.dataset_for("Acrobot-v1") is opened
    workspace.select_env("CartPole-v1")  # the env alone: the dataset stays, and says so
    with pytest.raises(DatasetError, match="holds demos of Acrobot-v1, not CartPole-v1"):
        workspace.dataset_for("CartPole-v1")


def test_a_broken_dataset_is_refused_or_kept_with_its_error(qtbot, tmp_path):
    broken = tmp_path / "broken.hdf5"
    broken.write_bytes(b"not hdf5")
    workspace = Workspace("CartPole-v1")
    with pytest.raises(DatasetError):
        workspace.open_dataset(broken)
    assert workspace.dataset_path is None  # open_dataset keeps the selection
    assert workspace.select_dataset(broken) is None
    assert workspace.dataset_path == broken and workspace.dataset is None
    with pytest.raises(DatasetError, match="broken.hdf5"):
        workspace.dataset_for("CartPole-v1")


def test_a_policy_is_loaded_once_and_checked_against_the_env(qtbot, tmp_path):
    env = make_env("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,))
    path = save_policy(tmp_path / "clone.pt", Policy(spec), TrainConfig(hidden=(8,)))
    workspace = Workspace("CartPole-v1")
    fired = signals(workspace)
    policy = workspace.open_policy(path)
    assert fired == ["policy_changed"] and workspace.policy_for("CartPole-v1") is policy
    with pytest.raises(PolicyEnvMismatch, match="trained on CartPole-v1, not Acrobot-v1"):
        workspace.policy_for("Acrobot-v1")
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"weights")
    with pytest.raises(CheckpointError, match="damaged.pt"):
        workspace.open_policy(damaged)
    assert fired == ["policy_changed"]  # a failed open changes nothing
    assert workspace.policy_path == path and workspace.policy_for("CartPole-v1") is policy


def test_saved_remappings_resolve_here_and_a_stale_one_is_a_note(qtbot):
    cartpole = get_entry("CartPole-v1")
    saved = {"CartPole-v1": control_map_to_dict(
        dataclasses.replace(cartpole, keyboard=cartpole.keyboard.rebind("right", "l"))),
        "Acrobot-v1": {"keyboard": {"left": 7}}}  # no longer fits Acrobot's actions
    workspace = Workspace("CartPole-v1")
    workspace.use_saved_controls(saved.get)
    assert workspace.entry.keyboard.action(["l"]) == 1  # the current env's entry is remapped
    resolved = workspace.resolve_entry("Acrobot-v1")
    assert resolved.in_effect == resolved.default == get_entry("Acrobot-v1")
    assert "no longer fit" in resolved.note
    workspace.select_env("Acrobot-v1")
    assert workspace.entry == get_entry("Acrobot-v1")
    assert workspace.entry_for("CartPole-v1").keyboard.action(["l"]) == 1


def test_a_repaired_index_is_said_in_the_status_bar(qtbot, tmp_path):
    demos = expert_dataset(tmp_path / "demos", seeds=(0, 1), max_steps=5)
    workspace = Workspace("CartPole-v1")
    shown: list[str] = []
    workspace.status_message.connect(shown.append)
    for reopen in (workspace.open_dataset, workspace.select_dataset):
        (demos.path / "data" / "metadata.json").unlink()  # the next open rebuilds the index
        reopen(demos.path)
        assert shown[-1] == "demos: no metadata.json: index rebuilt from 2 episode files"
