"""The head is chosen on the command line (--head, --components, --bins) and in the Train form,
from the same TrainConfig fields; a Discrete env refuses any but the default in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from clonelab.app.cli import build_parser, main
from clonelab.app.cli.config_args import config_from_args
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.models.checkpoint import load_policy, read_checkpoint_info
from clonelab.models.multimodal_heads import MixtureHead
from clonelab.models.training import TrainConfig
from tests.app.demo_data import expert_dataset


def test_the_cli_and_the_train_form_choose_the_same_head(qtbot) -> None:
    args = build_parser().parse_args(["train", "d", "--out", "p", "--head", "mixture",
                                      "--components", "3"])
    from_cli = config_from_args(TrainConfig, args)
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    assert form.config().head == "gaussian"  # the default
    form.set_config(TrainConfig(head="mixture", components=3))
    assert from_cli == form.config() == TrainConfig(head="mixture", components=3)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "d", "--out", "p", "--head", "diffusion"])


def test_clonelab_train_writes_a_mixture_policy(tmp_path: Path, capsys) -> None:
    dataset = expert_dataset(tmp_path / "demos", "Pendulum-v1", seeds=(0,), max_steps=40)
    out = tmp_path / "p.pt"
    assert main(["train", str(dataset.path), "--out", str(out), "--steps", "20", "--hidden",
                 "16", "--head", "mixture", "--components", "2", "--device", "cpu"]) == 0
    assert isinstance(load_policy(out).head, MixtureHead)
    assert read_checkpoint_info(out).architecture["head_components"] == 2


def test_a_discrete_env_refuses_the_mixture_head_in_one_line(tmp_path: Path, capsys) -> None:
    dataset = expert_dataset(tmp_path / "demos", "CartPole-v1", seeds=(0,), max_steps=20)
    assert main(["train", str(dataset.path), "--out", str(tmp_path / "p.pt"), "--steps", "5",
                 "--head", "mixture"]) == 1
    error = capsys.readouterr().err.strip()
    assert "categorical head already" in error and len(error.splitlines()) == 1
    assert not (tmp_path / "p.pt").exists()
