"""`clonelab train --nproc N`: DistributedDataParallel over gloo processes on this CPU.

Each test starts real processes through torchrun's launcher (as a user would), on a small
CartPole dataset, so the suite checks the whole path: launch, sharding, gradient averaging,
rank 0 alone writing, a dead rank failing the run, and two "nodes" on the loopback address.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clonelab.app.cli import build_parser, main
from clonelab.app.cli.launch import torchrun_argv, worker_argv

CLI = [sys.executable, "-m", "clonelab.app.cli"]
TRAIN = ["--steps", "300", "--hidden", "64,64", "--seed", "0", "--device", "cpu",
         "--log-every", "50", "--val-fraction", "0.2"]


@pytest.fixture(scope="module")
def cartpole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dataset = tmp_path_factory.mktemp("distributed") / "cartpole"
    assert main(["expert", "CartPole-v1", "--episodes", "8", "--out", str(dataset),
                 "--seed", "1"]) == 0
    return dataset


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TORCHELASTIC_RUN_ID", None)
    env["OMP_NUM_THREADS"] = "1"
    return env


def _train(args: list[str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "train", *args], capture_output=True, text=True,
                          timeout=timeout, env=_env(), check=False)


def _records(stdout: str) -> tuple[list[dict], dict]:
    """The progress lines and the final summary of a `--progress-json --json` run."""
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [line for line in lines if "progress" in line], lines[-1]


def test_two_processes_follow_one_process_with_the_same_global_batch(
        cartpole: Path, tmp_path: Path) -> None:
    single = _train([str(cartpole), "--out", str(tmp_path / "one.pt"), *TRAIN,
                     "--batch-size", "128", "--progress-json", "--json"])
    assert single.returncode == 0, single.stderr
    double = _train([str(cartpole), "--out", str(tmp_path / "two.pt"), *TRAIN,
                     "--batch-size", "64", "--nproc", "2", "--progress-json", "--json"])
    assert double.returncode == 0, double.stderr

    one_records, one_summary = _records(single.stdout)
    two_records, two_summary = _records(double.stdout)
    assert one_summary["world_size"] == 1 and two_summary["world_size"] == 2
    assert two_summary["global_batch"] == one_summary["global_batch"] == 128
    # Rank 0 alone reports: one line per record, as many as the single process printed.
    assert [r["progress"]["step"] for r in two_records] == \
        [r["progress"]["step"] for r in one_records]
    for ours, theirs in zip(two_records, one_records, strict=True):
        assert ours["progress"]["world_size"] == 2
        assert ours["progress"]["train_loss"] == pytest.approx(
            theirs["progress"]["train_loss"], rel=2e-3, abs=1e-4)
        assert ours["progress"]["val_loss"] == pytest.approx(
            theirs["progress"]["val_loss"], rel=2e-3, abs=1e-4)
    # One checkpoint, written by rank 0; nothing else appeared beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.pt", "two.pt"]


def test_the_two_process_clone_balances_the_pole(cartpole: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "clone.pt"
    run = _train([str(cartpole), "--out", str(policy), "--steps", "1500", "--batch-size", "64",
                  "--hidden", "64,64", "--seed", "0", "--device", "cpu", "--nproc", "2",
                  "--json"])
    assert run.returncode == 0, run.stderr
    assert main(["eval", str(policy), "--episodes", "10", "--seed", "100", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["return_mean"] >= 475


def _worker_pids(launcher: int) -> dict[int, int]:
    """RANK -> pid of the worker processes under `launcher` (read from /proc)."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().split()
        except OSError:
            continue
        variables = dict(item.split(b"=", 1) for item in environ if b"=" in item)
        if b"RANK" in variables and b"TORCHELASTIC_RUN_ID" in variables and \
                int(stat[3]) == launcher:
            found[int(variables[b"RANK"])] = int(entry.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_killed_rank_ends_the_run_with_one_line(cartpole: Path, tmp_path: Path) -> None:
    policy = tmp_path / "never.pt"
    process = subprocess.Popen(
        [*CLI, "train", str(cartpole), "--out", str(policy), "--steps", "1000000",
         "--batch-size", "64", "--hidden", "64,64", "--device", "cpu", "--nproc", "2",
         "--log-every", "20", "--progress-json", "--collective-timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    assert process.stdout is not None
    process.stdout.readline()  # the first progress record: both ranks are training
    workers = _worker_pids(process.pid)
    assert set(workers) == {0, 1}
    os.kill(workers[1], signal.SIGKILL)
    started = time.monotonic()
    _out, err = process.communicate(timeout=60)
    assert time.monotonic() - started < 45
    assert process.returncode == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == ["clonelab train: error: training process rank 1 was killed by SIGKILL; "
                     "the run stopped"]
    assert not policy.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_two_nodes_on_the_loopback_address(cartpole: Path, tmp_path: Path) -> None:
    policy = tmp_path / "nodes.pt"
    port = str(_free_port())
    nodes = [subprocess.Popen(
        [*CLI, "train", str(cartpole), "--out", str(policy), *TRAIN, "--batch-size", "64",
         "--nnodes", "2", "--node-rank", str(rank), "--master-addr", "127.0.0.1",
         "--master-port", port, "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
        for rank in (0, 1)]
    outputs = [node.communicate(timeout=240) for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], [err for _, err in outputs]
    summary = json.loads(outputs[0][0].strip().splitlines()[-1])
    assert summary["world_size"] == 2 and summary["global_batch"] == 128
    assert outputs[1][0].strip() == ""  # rank 1 prints nothing
    assert policy.exists()


def test_launch_flags_stay_with_the_launcher() -> None:
    argv = ["train", "data", "--out", "p.pt", "--nproc", "2", "--master-port=1234", "--steps",
            "10"]
    assert worker_argv(argv) == ["train", "data", "--out", "p.pt", "--steps", "10"]
    args = build_parser().parse_args(argv)
    command = torchrun_argv(args, argv)
    assert command[:6] == ["--nproc-per-node", "2", "--nnodes", "1", "--max-restarts", "0"]
    assert "--standalone" in command
    assert command[-8:] == ["-m", "clonelab.app.cli", "train", "data", "--out", "p.pt",
                            "--steps", "10"]


def test_a_node_rank_outside_the_nodes_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "data", "--out", "p.pt", "--nnodes", "2", "--node-rank", "2"]) == 1
    assert capsys.readouterr().err.strip() == \
        "clonelab train: error: --node-rank must lie in [0, 1], got 2"
