"""Benchmark: does a commit cost the same at episode 100,000 as at episode 10, and how long
does ``clonelab info`` take on the result?

One writer appends tiny synthetic episodes (5 steps of a 4-float observation, Discrete(3)
actions: the commit's own cost, not the episode's bytes) through the public
``DemoDataset.append``, timing each commit. At each checkpoint it reports the median and mean
commit time of the 1,000 commits before it (all of them below 1,000), then runs
``clonelab info DATASET --json`` in a fresh process (wall time and peak RSS, most of both the
command's imports: ``import_only_s`` times ``import clonelab.app.cli`` alone), and its data
path alone (``quick_summary`` in a process that imports no torch), and times ``close()``,
which brings Minari's ``main_data.hdf5`` and ``metadata.json`` up to date.

    .venv/bin/python bench/recording_scale.py --checkpoints 100 10000 100000

Run it on the code before issue 12 (``--checkpoints 100 2000``; there ``close`` does not
exist and every commit rewrites the whole index) for the before numbers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import finish, machine

from clonelab.recorder import dataset as dataset_module
from clonelab.recorder.dataset import DemoDataset

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests' synthetic episodes, as the tests record them
from tests.recorder.crash_writer import (  # noqa: E402
    DISCRETE_ACTIONS,
    VECTOR_SPACE,
    synthetic_episode,
)

WINDOW = 1000
"""Commits summarised at each checkpoint (the last ones before it)."""
QUICK_SUMMARY = Path(dataset_module.__file__).with_name("dataset_summary.py").exists()
"""False on the code before issue 12, which had no summary to read."""


def timed(command: list[str]) -> tuple[str, float, float]:
    """Run ``command`` under /usr/bin/time: its stdout, wall seconds and peak RSS in MB.

    Not this process's rusage: a child exec'd straight from it starts its peak RSS at this
    process's own (Linux keeps the high-water mark across exec).
    """
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb %M", *command],
                          capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    rss = [line for line in done.stderr.splitlines() if line.startswith("maxrss_kb ")][-1]
    return done.stdout, seconds, int(rss.split()[1]) / 1024


def run_info(path: Path) -> dict[str, Any]:
    """``clonelab info`` in a fresh process: wall time and peak RSS."""
    out, seconds, rss = timed([sys.executable, "-m", "clonelab.app.cli", "info", str(path),
                               "--json"])
    return {"info_s": round(seconds, 3), "info_peak_rss_mb": round(rss, 1),
            "info_episodes": json.loads(out.strip().splitlines()[-1])["episodes"]}


DATA_PATH = """
import sys, time
from clonelab.recorder.dataset_summary import quick_summary
started = time.perf_counter()
summary = quick_summary(sys.argv[1])
assert summary is not None
print(time.perf_counter() - started)
"""


def run_info_data_path(path: Path) -> dict[str, float]:
    """``info``'s data path alone (``quick_summary``) in a fresh process that imports no
    torch: its seconds and the process's peak RSS in MB."""
    out, _, rss = timed([sys.executable, "-c", DATA_PATH, str(path)])
    return {"info_data_s": round(float(out), 4), "info_data_peak_rss_mb": round(rss, 1)}


def baseline_info() -> float:
    """Wall seconds of the command's start-up (its imports and parser): the fixed part of
    info_s."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from clonelab.app.cli import build_parser, commands; "
                    "build_parser()"], check=True)
    return round(time.perf_counter() - started, 3)


def record(path: Path, checkpoints: list[int]) -> list[dict[str, Any]]:
    """Append episodes up to each checkpoint; measure commit, info and close at each."""
    dataset = DemoDataset.create(path, env_id="Synthetic-v0", observation_space=VECTOR_SPACE,
                                 action_space=DISCRETE_ACTIONS)
    episodes = [synthetic_episode(seed, 5) for seed in range(64)]  # made once: time commits only
    times: list[float] = []
    rows = []
    for checkpoint in checkpoints:
        while len(times) < checkpoint:
            episode = episodes[len(times) % len(episodes)]
            started = time.perf_counter()
            dataset.append(episode)
            times.append(time.perf_counter() - started)
        window = times[-WINDOW:] if checkpoint > WINDOW else times
        row: dict[str, Any] = {
            "episodes": checkpoint,
            "commit_ms_median": round(statistics.median(window) * 1e3, 2),
            "commit_ms_mean": round(statistics.fmean(window) * 1e3, 2),
            "commit_ms_p99": round(sorted(window)[int(0.99 * (len(window) - 1))] * 1e3, 2),
            "commits_summarised": len(window),
            **run_info(path),
            **(run_info_data_path(path) if QUICK_SUMMARY else {}),
            "loadavg": machine()["loadavg"],
        }
        close = getattr(dataset, "close", None)
        if close is not None:
            started = time.perf_counter()
            close()
            row["close_s"] = round(time.perf_counter() - started, 3)
        print(row, flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--out", default=str(HERE / "results" / "recording_scale.json"))
    parser.add_argument("--label", default="after issue 12")
    args = parser.parse_args()
    before = machine()
    folder = Path(tempfile.mkdtemp(prefix="recording-scale-"))
    try:
        rows = record(folder / "scale-v0", sorted(args.checkpoints))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    finish(args.out, before=before, results_key="checkpoints", results={"rows": rows},
           label=args.label, import_only_s=baseline_info(), steps_per_episode=5,
           window=WINDOW)


if __name__ == "__main__":
    main()
