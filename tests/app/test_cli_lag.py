"""`clonelab expert --lag`: a lagged expert's episodes carry their lag as a tag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clonelab.app.cli import main
from clonelab.recorder.dataset import DemoDataset


def _json_tail(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_expert_lag_is_recorded_in_the_tags(tmp_path: Path, capsys) -> None:
    dataset = tmp_path / "lander"
    assert main(["expert", "LunarLander-v3", "--episodes", "2", "--lag", "5",
                 "--out", str(dataset), "--json"]) == 0
    lagged = _json_tail(capsys)
    assert main(["expert", "LunarLander-v3", "--episodes", "2", "--out", str(dataset),
                 "--json"]) == 0
    plain = _json_tail(capsys)
    assert lagged["return_mean"] < plain["return_mean"]  # lag 5 costs the lander its landing
    tags = [DemoDataset.open(dataset).episode_info(i).tags for i in range(4)]
    assert tags[:2] == [("expert", "noise=0", "lag=5")] * 2
    assert tags[2:] == [("expert", "noise=0")] * 2


def test_a_lag_the_expert_cannot_have_is_one_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "grid"
    for env_id, lag, fragment in (("MiniGrid-Empty-5x5-v0", "2", "cannot be lagged"),
                                  ("CartPole-v1", "-1", "0 or more")):
        assert main(["expert", env_id, "--episodes", "1", "--lag", lag, "--out", str(out)]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and fragment in err
        assert not out.exists()


def test_lag_suggests_the_shift_of_a_lagged_recording(tmp_path: Path, capsys) -> None:
    dataset = tmp_path / "lander"
    assert main(["expert", "LunarLander-v3", "--episodes", "6", "--lag", "3",
                 "--out", str(dataset)]) == 0
    capsys.readouterr()
    assert main(["lag", str(dataset), "--max-shift", "6", "--json"]) == 0
    estimate = _json_tail(capsys)
    assert estimate["suggested_action_shift"] == 3 and estimate["reference"] == "expert"
    assert estimate["agreement_by_shift"][3] == 1.0 and len(estimate["agreement_by_shift"]) == 7
