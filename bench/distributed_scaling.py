"""Benchmark for issue 12: BC samples/s in 1 and 2 training processes on this machine.

The runs are whole `clonelab train` commands, as a person types them (`--nproc 2` starts the
processes through torchrun's launcher), on a dataset of scripted-expert episodes (CartPole's
vectors by default; `--env ALE/Pong-v5 --max-steps N` for frames through the DQN torso):

* `1 process`: batch 256, torch's threads at THREADS (default: every core);
* `2 processes, same global batch`: batch 128 each (global 256), one torch thread each;
* `2 processes, double global batch`: batch 256 each (global 512), one torch thread each.

samples/s is the run's own figure (rank 0's training clock: global rows per second, start-up
and validation excluded); the wall time is the whole command, launcher and start-up included.
Scaling efficiency = samples/s with 2 processes / (2 x samples/s of 1 process at one thread).
Rounds run the variants in turn (A B C A B C ...), so a drift in the machine's speed hits all.

    .venv/bin/python bench/distributed_scaling.py --rounds 3
    # -> bench/results/distributed_scaling.json
    .venv/bin/python bench/distributed_scaling.py --env ALE/Pong-v5 --episodes 4 \
        --max-steps 1000 --steps 60 --rounds 2 --out bench/results/distributed_scaling_pong.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import machine, summary, write_json

VARIANTS = {
    "1 process, 1 thread": (1, 256, 1),
    "1 process, 2 threads": (1, 256, 2),
    "2 processes, batch 128 each (global 256)": (2, 128, 1),
    "2 processes, batch 256 each (global 512)": (2, 256, 1),
}


def clonelab(args: list[str], threads: int) -> tuple[dict, float]:
    """Run `clonelab ARGS --json`; its summary and wall seconds."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop("TORCHELASTIC_RUN_ID", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "clonelab.app.cli", *args, "--json"],
                          capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"clonelab {' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--env", default="CartPole-v1",
                        help="env of the scripted-expert dataset (ALE/Pong-v5 for frames)")
    parser.add_argument("--episodes", type=int, default=100, help="expert episodes")
    parser.add_argument("--max-steps", type=int, default=None, help="cut each episode here")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--out", default="bench/results/distributed_scaling.json")
    args = parser.parse_args(argv)
    before = machine()
    with tempfile.TemporaryDirectory(prefix="clonelab-scaling-") as folder:
        dataset = Path(folder) / "demos"
        cut = [] if args.max_steps is None else ["--max-steps", str(args.max_steps)]
        clonelab(["expert", args.env, "--episodes", str(args.episodes), "--out",
                  str(dataset), *cut], threads=1)
        runs: dict[str, list[dict]] = {name: [] for name in VARIANTS}
        for round_index in range(args.rounds):
            for name, (processes, batch, threads) in VARIANTS.items():
                result, wall = clonelab(
                    ["train", str(dataset), "--out", str(Path(folder) / "p.pt"), "--steps",
                     str(args.steps), "--batch-size", str(batch), "--hidden", "256,256",
                     "--val-fraction", "0", "--device", "cpu", "--nproc", str(processes)],
                    threads=threads)
                runs[name].append({"samples_per_s": result["samples_per_s"], "wall_s": wall,
                                   "world_size": result["world_size"],
                                   "global_batch": result["global_batch"],
                                   "loadavg": os.getloadavg()[0]})
                print(f"round {round_index}: {name}: {result['samples_per_s']:,.0f} samples/s, "
                      f"{wall:.1f} s", file=sys.stderr)
    table = {name: {"samples_per_s": summary([r["samples_per_s"] for r in rows]),
                    "wall_s": summary([r["wall_s"] for r in rows]), "runs": rows}
             for name, rows in runs.items()}
    one = table["1 process, 1 thread"]["samples_per_s"]["median"]
    for name, row in table.items():
        if name.startswith("2 processes"):
            row["scaling_efficiency"] = row["samples_per_s"]["median"] / (2 * one)
    write_json(args.out, {"command": " ".join(["bench/distributed_scaling.py", *argv]),
                          "machine_before": before, "machine_after": machine(),
                          "env_id": args.env, "episodes": args.episodes,
                          "max_steps": args.max_steps, "steps": args.steps, "results": table})
    for name, row in table.items():
        extra = f", efficiency {row['scaling_efficiency']:.2f}" if "scaling_efficiency" in row \
            else ""
        print(f"{name}: {row['samples_per_s']['median']:,.0f} samples/s, "
              f"wall {row['wall_s']['median']:.1f} s{extra}")


if __name__ == "__main__":
    main(sys.argv[1:])
