"""The Train tab's multi-process run: `clonelab train --nproc N` in a child process, read back.

The app launches the same command a person would type (docs/scale.md), with `--progress-json`,
and turns each progress line into a `TrainProgress`; the finished run's checkpoint is loaded
into a `TrainResult`, so the tab shows a multi-process run exactly like an in-process one.
Cancelling ends the launcher, which ends its training processes; nothing is saved then.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import IO, Any

from clonelab.app.cli.config_args import config_argv
from clonelab.models.checkpoint import load_policy
from clonelab.models.training import TrainConfig, TrainingError, TrainProgress, TrainResult

# Seconds the launcher gets to end its processes after a cancel before it is killed.
STOP_GRACE_S = 10.0


def process_command(config: TrainConfig, dataset: Path, out: Path, processes: int,
                    episode_ids: Sequence[int] | None) -> list[str]:
    """The `clonelab train` command line of this run, as a person would type it."""
    command = [sys.executable, "-m", "clonelab.app.cli", "train", str(dataset), "--out",
               str(out), "--nproc", str(processes), "--progress-json", "--json",
               *config_argv(config)]
    if episode_ids is not None:
        command += ["--episode-ids", ",".join(str(i) for i in episode_ids)]
    return command


def train_in_processes(config: TrainConfig, dataset: Path, processes: int,
                       episode_ids: Sequence[int] | None, cancel: threading.Event,
                       ) -> Generator[TrainProgress, None, TrainResult | None]:
    """Train in `processes` torchrun processes, yielding rank 0's records as they come.

    Returns the `TrainResult` (its policy loaded from the run's checkpoint), or None when
    `cancel` was set. Raises `TrainingError` with the command's own one-line error when the
    run fails.
    """
    with tempfile.TemporaryDirectory(prefix="clonelab-train-") as folder:
        out = Path(folder) / "policy.pt"
        child = subprocess.Popen(process_command(config, dataset, out, processes, episode_ids),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        errors: list[str] = []
        reader = threading.Thread(target=_collect, args=(child.stderr, errors), daemon=True)
        reader.start()
        history: list[TrainProgress] = []
        summary: dict[str, Any] | None = None
        assert child.stdout is not None
        try:
            for line in child.stdout:
                if cancel.is_set():
                    _stop(child)
                    return None
                if not line.startswith("{"):
                    continue
                parsed = json.loads(line)
                if "progress" in parsed:
                    history.append(TrainProgress(**parsed["progress"]))
                    yield history[-1]
                else:
                    summary = parsed
        finally:
            if child.poll() is None:
                _stop(child)
        status = child.wait()
        reader.join(timeout=5)
        if cancel.is_set():
            return None
        if status != 0 or summary is None or not history:
            raise TrainingError(_last_error(errors) or f"the training processes exited with "
                                f"status {status}")
        return _result(summary, history, load_policy(out))


def _collect(stream: IO[str] | None, lines: list[str]) -> None:
    if stream is not None:
        lines.extend(line.rstrip() for line in stream)


def _stop(child: subprocess.Popen[str]) -> None:
    child.terminate()  # the launcher forwards it to its processes
    try:
        child.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _last_error(lines: list[str]) -> str | None:
    """The command's one-line error, without its `clonelab train: error:` prefix."""
    marker = "clonelab train: error: "
    for line in reversed(lines):
        if line.startswith(marker):
            return line[len(marker):]
    return None


def _result(summary: dict[str, Any], history: list[TrainProgress], policy: Any) -> TrainResult:
    final = history[-1]
    kept = next((r for r in history if r.step == summary["kept_step"]), final)
    return TrainResult(
        policy=policy, metrics=final, kept=kept, stopped_early=summary["stopped_early"],
        history=tuple(history), seconds=summary["seconds"],
        samples_per_s=summary["samples_per_s"], device=summary["device"],
        cancelled=summary["cancelled"], env_id=summary["env_id"],
        dataset_fingerprint=str(summary["dataset_fingerprint"]),
        train_episodes=tuple(summary["train_episode_ids"]),
        val_episodes=tuple(summary["val_episode_ids"]))
