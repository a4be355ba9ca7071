"""`clonelab dagger`: the data, both policies and the JSON summary it writes, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from clonelab.app.cli import main
from clonelab.models.checkpoint import load_policy
from clonelab.recorder.dataset import DemoDataset


def test_cli_dagger_writes_data_policies_and_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["dagger", "CartPole-v1", "--iterations", "2", "--episodes-per-iter", "1",
                 "--out", str(out), "--seed", "3", "--steps", "50", "--hidden", "16,16",
                 "--max-steps", "40", "--eval-episodes", "2", "--device", "cpu",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(summary["iteration_returns"]) == len(summary["bc_returns"]) == 2
    assert summary["label_counts"] == [40, 80]
    assert summary["bc_return"] == summary["bc_returns"][-1]
    assert json.loads((out / "dagger.json").read_text()) == summary
    assert len(DemoDataset.open(out / "data", env_id="CartPole-v1")) == 2
    assert load_policy(out / "policy.pt").spec.env_id == "CartPole-v1"
    assert load_policy(out / "bc_policy.pt").spec.hidden == (16, 16)

    status = main(["dagger", "CartPole-v1", "--iterations", "1", "--episodes-per-iter", "1",
                   "--out", str(out)])
    assert status == 1 and "not empty" in capsys.readouterr().err
    status = main(["dagger", "BipedalWalker-v3", "--iterations", "1", "--episodes-per-iter",
                   "1", "--out", str(tmp_path / "walker")])
    err = capsys.readouterr().err.strip()
    assert status == 1 and len(err.splitlines()) == 1 and "no scripted expert" in err
    assert not (tmp_path / "walker").exists()
