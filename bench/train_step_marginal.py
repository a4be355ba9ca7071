"""Diagnosis for benchmark 1: ``train_bc``'s cost per step and per run, apart.

``train_bc`` on the CartPole ``.npz`` (validation off, batch 256) for 1 and for ``--steps``
steps, and the bare loop's step (2x256 leaky_relu MLP, ``F.cross_entropy``, Adam) for as many,
interleaved in one process. The difference between the long and the short run, per step, is
the cost of a step; the short run is the fixed cost of a run. Timed in CPU seconds of the
thread (``time.thread_time``), which holds up on a busy machine; medians of the repeats.

    .venv/bin/python bench/train_step_marginal.py --data /tmp/clonelab-bench/cartpole_50k.npz
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from benchlib import machine, summary, write_json
from npz_demos import NpzDemos
from torch import nn

from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
BATCH = 256


def clonelab_seconds(demos: NpzDemos, steps: int) -> float:
    """CPU seconds of `train_bc` for `steps` steps, from the call to the result."""
    config = TrainConfig(steps=steps, batch_size=BATCH, val_fraction=0.0, device="cpu")
    start = time.thread_time()
    drain(train_bc(config, demos))
    return time.thread_time() - start


def bare_seconds(obs: torch.Tensor, acts: torch.Tensor, steps: int) -> float:
    """CPU seconds of the bare loop for `steps` steps, from building the network."""
    start = time.thread_time()
    net = nn.Sequential(nn.Linear(obs.shape[1], 256), nn.LeakyReLU(), nn.Linear(256, 256),
                        nn.LeakyReLU(), nn.Linear(256, int(acts.max()) + 1))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    order = torch.randperm(len(acts))
    usable = len(acts) - len(acts) % BATCH
    for i in range(steps):
        batch = order[(i * BATCH) % usable : (i * BATCH) % usable + BATCH]
        loss = F.cross_entropy(net(obs[batch]), acts[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=391, help="a 2-epoch run of 50k rows")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "train_step_marginal.json")
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    demos = NpzDemos(args.data)
    data = demos.transitions()
    obs, acts = torch.as_tensor(data.observations), torch.as_tensor(data.actions).long()
    runs = {"clonelab": lambda steps: clonelab_seconds(demos, steps),
            "bare": lambda steps: bare_seconds(obs, acts, steps)}
    for run in runs.values():  # warm-up
        run(50)
    before = machine()
    seconds: dict[str, list[float]] = {f"{name} {steps}": [] for name in runs
                                       for steps in (1, args.steps)}
    for _ in range(args.repeats):
        for name, run in runs.items():
            for steps in (1, args.steps):
                seconds[f"{name} {steps}"].append(run(steps))
    median = {key: statistics.median(values) for key, values in seconds.items()}
    per_step_us = {name: (median[f"{name} {args.steps}"] - median[f"{name} 1"])
                   / (args.steps - 1) * 1e6 for name in runs}
    report = {"command": " ".join(sys.argv), "machine_before": before,
              "machine_after": machine(),
              "cpu_seconds": {key: summary(values) for key, values in seconds.items()},
              "per_step_us": per_step_us,
              "fixed_ms": {name: median[f"{name} 1"] * 1e3 for name in runs},
              "clonelab_over_bare_per_step": per_step_us["bare"] / per_step_us["clonelab"],
              "clonelab_over_bare_per_run": median[f"bare {args.steps}"]
              / median[f"clonelab {args.steps}"]}
    write_json(args.out, report)
    print(json.dumps({key: report[key] for key in ("per_step_us", "fixed_ms",
                                                   "clonelab_over_bare_per_step",
                                                   "clonelab_over_bare_per_run")}, indent=2))


if __name__ == "__main__":
    main()
