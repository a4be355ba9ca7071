"""Benchmark for issue 12: training on pixel data larger than the memory budget, streamed.

A Pong dataset of scripted-expert episodes (each cut at --max-steps), trained by whole
`clonelab train` commands with the default pipeline (84x84 grey, 4 frames stacked):

* `streamed`: a memory budget of --budget-mb, at least 3x smaller than the preprocessed rows,
  so training streams the episodes from their files through a buffer of half the budget;
* `in memory`: the default budget (1,024 MB), which the rows fit.

Each run reports samples/s (rank 0's training clock: start-up and validation excluded) and the
peak resident memory of the whole command (the child's ru_maxrss). Rounds alternate the two.

    .venv/bin/python bench/streaming.py        # bench/results/streaming.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import machine, summary, write_json

MEASURE = ("import json, resource, subprocess, sys; "
           "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
           "print(json.dumps({'status': r.returncode, 'out': r.stdout, 'err': r.stderr, "
           "'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")


def measured(args: list[str], threads: int) -> tuple[dict, float]:
    """Run `clonelab ARGS --json` in a fresh process; its summary and its peak RSS in MB."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m",
                           "clonelab.app.cli", *args, "--json"],
                          capture_output=True, text=True, env=env, check=True)
    report = json.loads(done.stdout)
    if report["status"] != 0:
        raise SystemExit(f"clonelab {' '.join(args)} failed: {report['err'].strip()}")
    return json.loads(report["out"].strip().splitlines()[-1]), report["maxrss_kib"] / 1024


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--budget-mb", type=int, default=32)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dataset", default=None, help="reuse this Pong dataset")
    parser.add_argument("--out", default="bench/results/streaming.json")
    args = parser.parse_args(argv)
    before = machine()
    with tempfile.TemporaryDirectory(prefix="clonelab-stream-") as folder:
        dataset = Path(args.dataset) if args.dataset else Path(folder) / "pong"
        if not dataset.exists():
            measured(["expert", "ALE/Pong-v5", "--episodes", str(args.episodes), "--max-steps",
                      str(args.max_steps), "--out", str(dataset)], threads=1)
        info, _ = measured(["info", str(dataset)], threads=1)
        rows_mb = info["steps"] * 84 * 84 / 2**20
        variants = {"streamed": ["--memory-budget-mb", str(args.budget_mb)],
                    "in memory": []}
        runs: dict[str, list[dict]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, extra in variants.items():
                result, rss = measured(
                    ["train", str(dataset), "--out", str(Path(folder) / "p.pt"), "--steps",
                     str(args.steps), "--batch-size", "256", "--device", "cpu", *extra],
                    threads=args.threads)
                runs[name].append({"samples_per_s": result["samples_per_s"], "peak_rss_mb": rss,
                                   "seconds": result["seconds"],
                                   "loadavg": os.getloadavg()[0]})
                print(f"{name}: {result['samples_per_s']:,.0f} samples/s, peak RSS {rss:,.0f} MB",
                      file=sys.stderr)
    table = {name: {"samples_per_s": summary([r["samples_per_s"] for r in rows]),
                    "peak_rss_mb": summary([r["peak_rss_mb"] for r in rows]), "runs": rows}
             for name, rows in runs.items()}
    write_json(args.out, {"command": " ".join(["bench/streaming.py", *argv]),
                          "machine_before": before, "machine_after": machine(),
                          "dataset_steps": info["steps"], "preprocessed_mb": rows_mb,
                          "budget_mb": args.budget_mb, "results": table})
    print(f"{info['steps']} steps, {rows_mb:.0f} MB preprocessed, budget {args.budget_mb} MB")
    for name, row in table.items():
        print(f"{name}: {row['samples_per_s']['median']:,.0f} samples/s, peak RSS "
              f"{row['peak_rss_mb']['median']:,.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
