"""Benchmark 1: BC training throughput on CPU, CloneLab vs imitation vs a bare PyTorch loop.

All three train the same 2x256 leaky_relu MLP with Adam (lr 1e-3), batch 256, on the same
``.npz`` of CartPole transitions (bench/export.py), for the same number of epochs. Rounds
interleave the three sides in a rotating order, so that load from other users of the machine
spreads over all of them; each side's number is the median over rounds. Each side is timed
in wall seconds and in CPU seconds of its training thread (``time.thread_time``): on a busy
machine the wall clock also counts the time other processes held the core, the CPU clock
does not, so its ratios hold up under load.

    .venv/bin/python bench/train_throughput.py --data /tmp/clonelab-bench/cartpole_50k.npz
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from bare_loop import bare_loop_seconds
from benchlib import machine, summary, write_json
from npz_demos import NpzDemos

from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
IMITATION_SCRIPT = HERE / "imitation_side" / "throughput.py"


def ours(demos: NpzDemos, *, epochs: int, batch_size: int) -> dict[str, float]:
    """CloneLab's train_bc with validation off, timed from the call to the returned result."""
    config = TrainConfig(epochs=epochs, batch_size=batch_size, val_fraction=0.0, device="cpu")
    start, cpu_start = time.perf_counter(), time.thread_time()
    result = drain(train_bc(config, demos))
    seconds, cpu_seconds = time.perf_counter() - start, time.thread_time() - cpu_start
    samples = epochs * len(demos.transitions().actions)
    return {"samples_per_s": samples / seconds, "samples_per_cpu_s": samples / cpu_seconds,
            "own_samples_per_s": result.samples_per_s}


def bare(demos: NpzDemos, *, epochs: int, batch_size: int) -> dict[str, float]:
    """The bare loop on the same arrays."""
    data = demos.transitions()
    cpu_start = time.thread_time()
    samples, seconds = bare_loop_seconds(
        data.observations,
        data.actions,
        n_actions=int(demos.action_space.n),
        batch_size=batch_size,
        epochs=epochs,
    )
    cpu_seconds = time.thread_time() - cpu_start
    return {"samples_per_s": samples / seconds, "samples_per_cpu_s": samples / cpu_seconds}


def imitation(
    python: str, data: Path, *, epochs: int, batch_size: int, threads: int
) -> dict[str, float]:
    """imitation's BC in its own venv; its script times only ``bc.train``."""
    out = subprocess.run(
        [python, str(IMITATION_SCRIPT), "--data", str(data), "--epochs", str(epochs),
         "--batch-size", str(batch_size), "--threads", str(threads)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help=".npz from bench/export.py")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="torch intra-op threads, the same for all three sides")
    parser.add_argument("--imitation-python", default="/work/imitation-venv/bin/python")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "throughput.json")
    parser.add_argument("--only", choices=("bare", "clonelab"),
                        help="warm up and run this side alone for --rounds, printing each run "
                             "and writing nothing: for timing whole processes side by side")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    demos = NpzDemos(args.data)
    runs = {
        "bare": lambda: bare(demos, epochs=args.epochs, batch_size=args.batch_size),
        "clonelab": lambda: ours(demos, epochs=args.epochs, batch_size=args.batch_size),
        "imitation": lambda: imitation(args.imitation_python, args.data, epochs=args.epochs,
                                       batch_size=args.batch_size, threads=args.threads),
    }
    before = machine()
    # Warm-up: the first run in a process pays for lazy initialisation in torch.
    ours(demos, epochs=1, batch_size=args.batch_size)
    bare(demos, epochs=1, batch_size=args.batch_size)
    if args.only:
        for _ in range(args.rounds):
            print(json.dumps({args.only: runs[args.only]()}), flush=True)
        return
    rounds = []
    names = list(runs)
    for i in range(args.rounds):
        order = names[i % 3 :] + names[: i % 3]
        result = {name: runs[name]() for name in order}
        result["order"] = order
        result["loadavg"] = machine()["loadavg"]
        rounds.append(result)
        print(json.dumps(result), flush=True)

    def rates(name: str, key: str = "samples_per_s") -> list[float]:
        return [r[name][key] for r in rounds]

    report = {
        "command": " ".join(sys.argv),
        "rows": len(demos.transitions().actions),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "threads": args.threads,
        "machine_before": before,
        "machine_after": machine(),
        "samples_per_s": {name: summary(rates(name)) for name in names},
        "samples_per_cpu_s": {name: summary(rates(name, "samples_per_cpu_s")) for name in names},
        "clonelab_own_samples_per_s": summary(rates("clonelab", "own_samples_per_s")),
        "per_round_ratio": {
            "clonelab_over_imitation": summary(
                list(np.divide(rates("clonelab"), rates("imitation")))),
            "clonelab_over_bare": summary(list(np.divide(rates("clonelab"), rates("bare")))),
        },
        "per_round_cpu_ratio": {
            f"clonelab_over_{other}": summary(list(np.divide(
                rates("clonelab", "samples_per_cpu_s"), rates(other, "samples_per_cpu_s"))))
            for other in ("imitation", "bare")
        },
        "rounds": rounds,
    }
    write_json(args.out, report)
    print(json.dumps({k: report[k] for k in ("samples_per_s", "per_round_ratio",
                                             "per_round_cpu_ratio")}, indent=2))


if __name__ == "__main__":
    main()
