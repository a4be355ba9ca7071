"""The CLI's flags and the tabs' forms come from the same configs: same fields, same defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from clonelab.app.cli import build_parser, main
from clonelab.app.cli.commands import dagger_config, irl_config
from clonelab.app.cli.config_args import config_from_args, flag_name
from clonelab.app.failures.dagger_panel import DaggerPanel
from clonelab.app.irl.irl_adversarial_panel import AdversarialPanel
from clonelab.app.irl.irl_maxent_panel import MaxEntPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import load_policy
from clonelab.models.evaluation import EvalConfig
from clonelab.models.expert_demos import ExpertConfig
from clonelab.models.failures.dagger import DaggerConfig
from clonelab.models.irl import IRL_METHODS
from clonelab.models.irl.adversarial import AdversarialConfig
from clonelab.models.irl.maxent import MaxEntConfig
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig

ENV_ID = "CartPole-v1"


def _parse(*argv: str):
    return build_parser().parse_args(list(argv))


def test_train_help_lists_every_train_config_field(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["train", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for field in dataclasses.fields(TrainConfig):
        assert flag_name(field.name) in text, field.name
    assert "--weight-decay" in text and "--val-fraction" in text and "--log-every" in text
    assert "Adam learning rate." in text  # the field's docstring is the help
    assert "--batch" in text  # the older flag names keep working


def test_train_flags_build_the_config_and_keep_the_rest_at_defaults() -> None:
    args = _parse("train", "data", "--out", "p.pt", "--steps", "10", "--batch", "32",
                  "--weight-decay", "0.01", "--val-fraction", "0.2", "--log-every", "5",
                  "--device", "cpu")
    assert config_from_args(TrainConfig, args) == TrainConfig(
        steps=10, batch_size=32, weight_decay=0.01, val_fraction=0.2, log_every=5,
        device="cpu")
    assert config_from_args(TrainConfig, _parse("train", "d", "--out", "p")) == TrainConfig()
    with pytest.raises(SystemExit):
        _parse("train", "d", "--out", "p", "--device", "tpu")


def test_hidden_64_on_the_command_line_and_in_the_train_form_is_one_network(qtbot) -> None:
    from_cli = config_from_args(TrainConfig, _parse("train", "d", "--out", "p", "--hidden", "64"))
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    form.editor("hidden").setText("64")
    from_form = form.config()
    assert from_cli.hidden == from_form.hidden == (64,)

    env = gym.make(ENV_ID)
    shapes = []
    for config in (from_cli, from_form):
        spec = PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                          action_space=env.action_space, hidden=config.hidden)
        shapes.append([tuple(p.shape) for p in Policy(spec).parameters()])
    env.close()
    assert shapes[0] == shapes[1]
    assert (64, 4) in shapes[0] and (64, 64) not in shapes[0]  # one hidden layer of 64


def test_expert_flags_come_from_expert_config() -> None:
    args = _parse("expert", ENV_ID, "--episodes", "3", "--out", "d", "--noise", "0.25",
                  "--max-steps", "40")
    config = config_from_args(ExpertConfig, args)
    assert config == ExpertConfig(episodes=3, noise=0.25, max_steps=40)
    assert list(config.seeds) == [0, 1, 2]
    with pytest.raises(SystemExit):
        _parse("expert", ENV_ID, "--out", "d")  # --episodes is required: the field has no default
    with pytest.raises(ValueError, match="noise must lie in"):
        config_from_args(ExpertConfig, _parse("expert", ENV_ID, "--episodes", "1", "--out", "d",
                                              "--noise", "2"))


def test_eval_flags_come_from_eval_config() -> None:
    assert config_from_args(EvalConfig, _parse("eval", "p.pt")) == EvalConfig()
    args = _parse("eval", "p.pt", "--episodes", "3", "--stochastic", "--max-steps", "50")
    assert config_from_args(EvalConfig, args) == EvalConfig(episodes=3, deterministic=False,
                                                            max_steps=50)


def test_dagger_cli_and_tab_share_defaults(qtbot) -> None:
    panel = DaggerPanel(Workspace(ENV_ID))
    qtbot.addWidget(panel)
    from_cli = dagger_config(_parse("dagger", ENV_ID, "--out", "run"))
    assert from_cli == panel.config().run  # the tab runs it over seeds from this seed on
    assert from_cli.train == DaggerConfig(env_id=ENV_ID).train  # DEFAULT_TRAIN

    args = _parse("dagger", ENV_ID, "--out", "run", "--iterations", "3", "--noise", "0.2",
                  "--hidden", "16", "--seed", "4")
    panel.form.editor("iterations").setValue(3)
    panel.form.editor("expert_noise").setText("0.2")
    panel.form.editor("seed").setValue(4)
    panel.train_form.editor("hidden").setText("16")
    assert dagger_config(args) == panel.config().run
    assert panel.config().run.train.seed == 4 and panel.config().run.train.hidden == (16,)


@pytest.mark.parametrize("method", ["airl", "gail"])
def test_adversarial_cli_and_tab_share_defaults(qtbot, method: str) -> None:
    panel = AdversarialPanel(Workspace(ENV_ID))
    qtbot.addWidget(panel)
    panel.method_combo.setCurrentText(method)
    from_cli = irl_config(_parse("irl", "data", "--out", "run", "--method", method))
    assert from_cli == panel.form.config() == AdversarialConfig(method=method)


def test_maxent_cli_and_tab_share_defaults(qtbot, tmp_path: Path) -> None:
    panel = MaxEntPanel(Workspace("MiniGrid-Empty-5x5-v0"))
    qtbot.addWidget(panel)
    from_cli = irl_config(_parse("irl", "data", "--out", "run", "--method", "maxent"))
    assert from_cli == panel.form.config() == MaxEntConfig()
    assert panel.iterations_spin.value() == MaxEntConfig().iterations
    steps = irl_config(_parse("irl", "d", "--out", "r", "--method", "maxent", "--steps", "40"))
    assert steps.iterations == 40


def test_the_one_list_of_irl_methods_is_the_cli_choices() -> None:
    irl = build_parser()._subparsers._group_actions[0].choices["irl"]  # noqa: SLF001
    method = next(a for a in irl._actions if a.dest == "method")  # noqa: SLF001
    assert tuple(method.choices) == IRL_METHODS


def test_the_maxent_tab_runs_the_cli_pipeline_on_a_dataset_and_saves_its_policy(
        qtbot, tmp_path: Path) -> None:
    from tests.app.demo_data import expert_dataset, workspace_on

    grid = expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", seeds=(0, 1),
                          max_steps=30)
    workspace = workspace_on(grid.path, "MiniGrid-Empty-5x5-v0")
    panel = MaxEntPanel(workspace)
    qtbot.addWidget(panel)
    panel.source_combo.setCurrentIndex(panel.source_combo.count() - 1)  # the dataset
    panel.iterations_spin.setValue(20)
    with qtbot.waitSignal(panel.start().finished, timeout=120_000):
        pass
    saved = workspace.policy_path
    assert saved is not None and saved.name == "policy.pt"
    # The run goes to runs/ in the dataset's workspace folder (issue 9, item 11).
    assert saved.parent.parent == tmp_path / "grid.clonelab" / "runs"
    assert saved.parent.name.startswith("maxent-")
    assert (saved.parent / "reward_grid.json").is_file() and (saved.parent / "irl.json").is_file()
    assert load_policy(saved, env_id="MiniGrid-Empty-5x5-v0") is not None
    assert panel.result is not None and panel.heatmap.grid.shape == (5, 5)
    panel.shutdown()


def test_preprocessing_flags_and_form_fields_build_one_pipeline(qtbot) -> None:
    args = _parse("train", "d", "--out", "p", "--history", "2", "--frame-size", "42, 42",
                  "--crop", "0,12,0,0", "--colour", "rgb")
    from_cli = config_from_args(TrainConfig, args)
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    form.set_config(from_cli)
    assert form.config() == from_cli
    space = gym.spaces.Box(0, 255, (96, 96, 3), np.uint8)
    pipeline = from_cli.pipeline_for("CarRacing-v3", space)
    assert (pipeline.history, pipeline.size, pipeline.crop, pipeline.grey) == (
        2, (42, 42), (0, 12, 0, 0), False)
    with pytest.raises(SystemExit):
        _parse("train", "d", "--out", "p", "--frame-size", "84")
