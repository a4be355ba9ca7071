"""`--json` output is always valid JSON, and a diverged checkpoint is an error, not NaN."""

from __future__ import annotations

import json
import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.app.cli import main
from clonelab.app.cli.output import strict_json
from clonelab.models.checkpoint import save_policy
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig


def strict_loads(text: str) -> object:
    """json.loads that refuses NaN and Infinity, which are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_json_line_writes_null_for_non_finite_numbers() -> None:
    summary = {"return_mean": math.nan, "returns": [1.5, math.inf, -math.inf],
               "nested": {"loss": np.float32("nan"), "steps": np.int64(3)},
               "pair": (np.float64(2.0), None), "name": "x"}
    line = strict_json(summary)
    assert "\n" not in line
    assert strict_loads(line) == {"return_mean": None, "returns": [1.5, None, None],
                                  "nested": {"loss": None, "steps": 3},
                                  "pair": [2.0, None], "name": "x"}


def test_eval_of_a_checkpoint_with_nan_weights_is_one_error_line(tmp_path: Path,
                                                                 capsys) -> None:
    torch.manual_seed(0)
    policy = Policy(PolicySpec(env_id="CartPole-v1",
                               observation_space=gym.spaces.Box(-5, 5, (4,), np.float32),
                               action_space=gym.spaces.Discrete(2), hidden=(8,)))
    with torch.no_grad():
        next(iter(policy.parameters())).fill_(math.nan)
    path = save_policy(tmp_path / "diverged.pt", policy, TrainConfig(steps=1, device="cpu"))

    status = main(["eval", str(path), "--episodes", "1", "--json"])

    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""  # no NaN summary
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "diverged.pt" in err[0] and "NaN or infinite" in err[0]


@pytest.mark.parametrize("command", ["info", "doctor"])
def test_summaries_are_strict_json(tmp_path: Path, capsys, command: str) -> None:
    dataset = tmp_path / "demos"
    assert main(["expert", "CartPole-v1", "--episodes", "1", "--out", str(dataset),
                 "--json"]) == 0
    strict_loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main([command, str(dataset), "--json"]) == 0
    strict_loads(capsys.readouterr().out.strip().splitlines()[-1])
