"""The `clonelab` command end to end, headless: expert -> info -> train -> eval, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clonelab.app.cli import main


def _json_tail(capsys: pytest.CaptureFixture[str]) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_expert_info_train_eval_round_trip(tmp_path: Path, capsys) -> None:
    dataset = tmp_path / "cartpole"
    policy = tmp_path / "cartpole.pt"

    assert main(["expert", "CartPole-v1", "--episodes", "3", "--out", str(dataset),
                 "--seed", "1", "--json"]) == 0
    recorded = _json_tail(capsys)
    assert recorded["episodes"] == 3 and recorded["return_mean"] >= 475

    assert main(["info", str(dataset), "--json"]) == 0
    info = _json_tail(capsys)
    assert info["env_id"] == "CartPole-v1"
    assert info["episodes"] == 3
    assert info["steps"] == pytest.approx(3 * recorded["return_mean"])
    assert info["return_mean"] == pytest.approx(recorded["return_mean"])
    assert info["actors"] == ["expert"]

    assert main(["train", str(dataset), "--out", str(policy), "--steps", "1500",
                 "--batch", "128", "--hidden", "64,64", "--seed", "0", "--device", "cpu",
                 "--json"]) == 0
    trained = _json_tail(capsys)
    assert trained["steps"] == 1500 and trained["device"] == "cpu"
    assert trained["preprocessing"] == "as recorded, history 1"
    assert trained["samples_per_s"] > 0 and trained["seconds"] > 0
    assert trained["val_loss"] < 0.6  # well below log(2) = 0.69, the loss of a coin flip
    assert policy.exists()

    assert main(["eval", str(policy), "--episodes", "5", "--seed", "100", "--json"]) == 0
    evaluated = _json_tail(capsys)
    assert evaluated["env_id"] == "CartPole-v1" and evaluated["episodes"] == 5
    assert evaluated["return_mean"] > 200
    assert evaluated["length_mean"] == pytest.approx(evaluated["return_mean"])


def test_expert_appends_to_an_existing_dataset(tmp_path: Path, capsys) -> None:
    dataset = tmp_path / "pendulum"
    for seed in (0, 10):
        assert main(["expert", "Pendulum-v1", "--episodes", "2", "--out", str(dataset),
                     "--seed", str(seed), "--json"]) == 0
    assert _json_tail(capsys)["episodes"] == 4


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["info", "{tmp}/missing"], "missing"),
        (["eval", "{tmp}/not-a-policy.pt", "--episodes", "1"], "not-a-policy.pt"),
        (["expert", "NoSuchEnv-v9", "--episodes", "1", "--out", "{tmp}/x"], "NoSuchEnv-v9"),
        (["train", "{tmp}/missing", "--out", "{tmp}/p.pt"], "missing"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, capsys, argv, fragment) -> None:
    (tmp_path / "not-a-policy.pt").write_text("hello")
    status = main([arg.replace("{tmp}", str(tmp_path)) for arg in argv])
    err = capsys.readouterr().err.strip()
    assert status == 1
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert fragment in err


def test_expert_into_a_dataset_of_another_env_is_refused(tmp_path: Path, capsys) -> None:
    dataset = tmp_path / "demos"
    assert main(["expert", "CartPole-v1", "--episodes", "1", "--out", str(dataset)]) == 0
    capsys.readouterr()
    assert main(["expert", "Pendulum-v1", "--episodes", "1", "--out", str(dataset)]) == 1
    assert "CartPole-v1" in capsys.readouterr().err
    assert main(["info", str(dataset), "--json"]) == 0
    assert _json_tail(capsys)["episodes"] == 1


def test_console_script_help_runs_without_a_display(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "clonelab.app.cli", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("expert", "info", "train", "eval"):
        assert command in result.stdout
