"""The episode-weighting fields come from TrainConfig: `clonelab train` flags and the Train
form build the same config, and a weighting that leaves nothing to train is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from clonelab.app.cli import build_parser, main
from clonelab.app.cli.config_args import config_from_args
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.models.training import TrainConfig
from tests.app.demo_data import expert_dataset

WEIGHTED = TrainConfig(tag_weights="expert=1, noisy=0.2", return_temperature=0.5)


def test_the_cli_and_the_train_form_build_the_same_weighting(qtbot) -> None:
    args = build_parser().parse_args(["train", "d", "--out", "p", "--tag-weights",
                                      "expert=1, noisy=0.2", "--return-temperature", "0.5"])
    from_cli = config_from_args(TrainConfig, args)
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    assert form.config().tag_weights == "" and form.config().return_temperature is None
    form.set_config(WEIGHTED)
    assert from_cli == form.config() == WEIGHTED


@pytest.mark.parametrize(("flags", "fragment"), [
    (["--tag-weights", "expert=0"], "weighs 0"),
    (["--tag-weights", "expert=-1"], "0 or more"),
    (["--return-temperature", "0"], "return_temperature"),
])
def test_clonelab_train_refuses_a_weighting_in_one_line(tmp_path: Path, capsys, flags,
                                                        fragment) -> None:
    dataset = expert_dataset(tmp_path / "demos", seeds=(0, 1), max_steps=20)
    status = main(["train", str(dataset.path), "--out", str(tmp_path / "p.pt"), "--steps", "5",
                   "--hidden", "8", "--device", "cpu", *flags])
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert fragment in err
    assert not (tmp_path / "p.pt").exists()
