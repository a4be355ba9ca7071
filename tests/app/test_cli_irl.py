"""`clonelab irl`: from a recorded dataset to a policy file that `clonelab eval` plays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clonelab.app.cli import main
from clonelab.models.irl.reward import load_reward


def last_json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def record(capsys: pytest.CaptureFixture[str], env_id: str, out: Path, episodes: int) -> None:
    assert main(["expert", env_id, "--episodes", str(episodes), "--out", str(out),
                 "--seed", "100", "--json"]) == 0
    capsys.readouterr()


def test_airl_writes_a_policy_that_eval_plays(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    record(capsys, "CartPole-v1", tmp_path / "demos", episodes=2)
    out = tmp_path / "irl"

    assert main(["irl", str(tmp_path / "demos"), "--out", str(out), "--steps", "4096",
                 "--seed", "1", "--json"]) == 0
    summary = last_json(capsys)

    assert summary["method"] == "airl" and summary["env_id"] == "CartPole-v1"
    assert summary["steps"] >= 4096 and summary["seconds"] > 0
    assert summary["return_mean"] > 0 and summary["eval_episodes"] == 20
    assert summary["reward_correlation"] is None  # CartPole: +1 on every step
    assert -1.0 <= summary["return_to_go_correlation"] <= 1.0
    details = json.loads((out / "irl.json").read_text())
    assert details["config"]["steps"] == 4096 and details["history"]
    assert load_reward(out / "reward.pt").spec.method == "airl"

    assert main(["eval", str(out / "policy.pt"), "--episodes", "3", "--json"]) == 0
    evaluation = last_json(capsys)
    assert evaluation["env_id"] == "CartPole-v1" and len(evaluation["returns"]) == 3


def test_maxent_on_a_minigrid_dataset(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    record(capsys, "MiniGrid-Empty-5x5-v0", tmp_path / "demos", episodes=2)
    out = tmp_path / "irl"

    assert main(["irl", str(tmp_path / "demos"), "--out", str(out), "--method", "maxent",
                 "--steps", "150", "--json"]) == 0
    summary = last_json(capsys)

    assert summary["method"] == "maxent" and summary["steps"] == 150
    grid = json.loads((out / "reward_grid.json").read_text())
    values = np.array(grid["reward_grid"], dtype=float)  # null (a wall) reads as NaN
    assert values.shape == (5, 5) and np.isnan(values[0]).all()
    assert np.nanargmax(values) == 3 * 5 + 3  # the goal
    assert grid["demo_paths"][0][0] == [1, 1] and grid["demo_paths"][0][-1] == [3, 3]

    assert main(["eval", str(out / "policy.pt"), "--episodes", "3", "--json"]) == 0
    assert all(r > 0.9 for r in last_json(capsys)["returns"])  # reaches the goal in 5 steps


@pytest.mark.parametrize(("env_id", "method", "message"), [
    ("MiniGrid-Empty-5x5-v0", "airl", "adversarial IRL takes vector observations"),
    ("CartPole-v1", "maxent", "needs a MiniGrid room"),
])
def test_a_method_that_does_not_fit_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], env_id: str, method: str, message: str
) -> None:
    record(capsys, env_id, tmp_path / "demos", episodes=1)
    assert main(["irl", str(tmp_path / "demos"), "--out", str(tmp_path / "irl"),
                 "--method", method]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("clonelab irl: error:") and message in error
    assert "\n" not in error
