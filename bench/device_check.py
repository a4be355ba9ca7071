"""The GPU path, measured: one JSON line per measure, on CUDA when present, else on the CPU.

Measures, each CloneLab against a bare PyTorch loop on the same device, network, batch and
precision (medians of interleaved rounds):

- ``vector_bc_throughput``: the 2x256 MLP on CartPole-shaped vectors, batch 256;
- ``pixel_bc_throughput``: the DQN torso on 84x84x4 uint8 frames, batch 256 (mixed
  precision on CUDA, as train_bc's "auto" picks);
- ``pixel_bc_throughput_compiled`` (CUDA, full budget only): the same with torch.compile;
- ``clone_return``: CartPole BC from scripted-expert demos, mean return of the clone;
- ``multi_process_scaling`` (machines with more than one GPU, or ``--processes N``): CartPole
  BC through `clonelab train --nproc N` (DDP, one process per GPU) against one process, same
  per-process batch: samples/s and the scaling efficiency;
- ``peak_gpu_memory``: torch.cuda.max_memory_allocated over the whole check (null on CPU).

Full budgets finish in a few minutes on a GPU; ``--quick`` (or CLONELAB_CHECK_QUICK=1) runs
tiny ones that only prove the path works, e.g. on a CPU.

    bench/device_check.sh            # or: .venv/bin/python bench/device_check.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from distributed_scaling import clonelab
from npz_demos import NpzTransitions
from pixel_throughput import PixelDemos, bare, ours
from torch import nn

from clonelab.models.device import pick_device
from clonelab.models.evaluation import evaluate
from clonelab.models.expert_demos import record_expert
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain


@dataclass(frozen=True)
class Budget:
    """How much work each measure does."""

    rounds: int
    vector_rows: int
    vector_steps: int
    pixel_rows: int
    pixel_steps: int
    demo_episodes: int
    clone_steps: int
    eval_episodes: int


FULL = Budget(rounds=3, vector_rows=50_000, vector_steps=3000, pixel_rows=4096,
              pixel_steps=300, demo_episodes=10, clone_steps=1000, eval_episodes=10)
QUICK = Budget(rounds=1, vector_rows=2048, vector_steps=40, pixel_rows=256, pixel_steps=4,
               demo_episodes=2, clone_steps=100, eval_episodes=2)
BATCH = 256


class VectorDemos:
    """CartPole-shaped rows (4 floats, 2 actions from a linear rule), as train_bc reads them."""

    env_id = "CartPole-v1"

    def __init__(self, rows: int) -> None:
        rng = np.random.default_rng(0)
        observations = rng.normal(size=(rows, 4)).astype(np.float32)
        actions = (observations @ np.array([0.1, 0.5, 3.0, 1.0]) > 0).astype(np.int64)
        self.rows = NpzTransitions(observations=observations, actions=actions,
                                   rewards=np.ones(rows, np.float32),
                                   episode_ids=np.zeros(rows, np.int64))
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.episode_ids = [0]

    def fingerprint(self) -> str:
        """A fixed name: the rows are rebuilt from the seed."""
        return f"vector-demos-{len(self.rows.actions)}"

    def transitions(self, episode_ids: object = None) -> NpzTransitions:
        """All rows (one episode)."""
        return self.rows


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def vector_ours(demos: VectorDemos, steps: int, device: torch.device) -> float:
    """Samples/s of train_bc, from the call to the result (validation off)."""
    config = TrainConfig(steps=steps, batch_size=BATCH, val_fraction=0.0, log_every=steps,
                         device=device.type)
    start = time.perf_counter()
    drain(train_bc(config, demos))
    _sync(device)
    return steps * BATCH / (time.perf_counter() - start)


def vector_bare(demos: VectorDemos, steps: int, device: torch.device) -> float:
    """Samples/s of a bare loop with the same MLP, batch and optimiser."""
    torch.manual_seed(0)
    start = time.perf_counter()
    obs = torch.as_tensor(demos.rows.observations, device=device)
    acts = torch.as_tensor(demos.rows.actions, device=device)
    net = nn.Sequential(nn.Linear(4, 256), nn.LeakyReLU(), nn.Linear(256, 256), nn.LeakyReLU(),
                        nn.Linear(256, 2)).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    order, cursor = torch.randperm(len(acts), device=device), 0
    for _ in range(steps):
        if cursor >= len(acts):
            order, cursor = torch.randperm(len(acts), device=device), 0
        batch = order[cursor : cursor + BATCH]
        cursor += BATCH
        loss = loss_fn(net(obs[batch]), acts[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    return steps * BATCH / (time.perf_counter() - start)


def compare(name: str, sides: dict[str, Callable[[], float]], rounds: int,
            **extra: object) -> dict[str, object]:
    """Interleaved rounds (after one warm-up each): medians and CloneLab's ratio to bare."""
    for run in sides.values():
        run()
    names = list(sides)
    rates: dict[str, list[float]] = {n: [] for n in names}
    for i in range(rounds):
        for side in names[i % len(names):] + names[: i % len(names)]:
            rates[side].append(sides[side]())
    medians = {n: round(statistics.median(r), 1) for n, r in rates.items()}
    return {"measure": name, "samples_per_s": medians,
            "clonelab_over_bare": round(medians["clonelab"] / medians["bare"], 3),
            "batch_size": BATCH, "rounds": rounds, **extra}


def clone_return(budget: Budget, device: torch.device) -> dict[str, object]:
    """CartPole: scripted-expert demos, BC on `device`, evaluation on unseen starts."""
    with tempfile.TemporaryDirectory() as folder:
        demos = record_expert(Path(folder) / "cartpole", "CartPole-v1",
                              seeds=range(budget.demo_episodes))
        config = TrainConfig(steps=budget.clone_steps, seed=0, device=device.type)
        start = time.perf_counter()
        result = drain(train_bc(config, demos))
        seconds = time.perf_counter() - start
    evaluation = evaluate(result.policy.cpu(), "CartPole-v1", episodes=budget.eval_episodes,
                          seed=1000)
    return {"measure": "clone_return", "env_id": "CartPole-v1",
            "return_mean": round(evaluation.return_mean, 1), "expert_return": 500.0,
            "demo_episodes": budget.demo_episodes, "steps": budget.clone_steps,
            "eval_episodes": budget.eval_episodes, "train_seconds": round(seconds, 1),
            "trained_on": result.device}


def process_scaling(budget: Budget, device: torch.device, processes: int) -> dict[str, object]:
    """`clonelab train --nproc N` against one process on CartPole demos, batch 256 each."""
    rates: dict[int, list[float]] = {1: [], processes: []}
    with tempfile.TemporaryDirectory() as folder:
        demos = Path(folder) / "cartpole"
        clonelab(["expert", "CartPole-v1", "--episodes", str(budget.demo_episodes), "--out",
                  str(demos)], threads=1)
        for _ in range(budget.rounds):
            for count in rates:
                summary, _wall = clonelab(
                    ["train", str(demos), "--out", str(Path(folder) / "p.pt"), "--steps",
                     str(budget.vector_steps), "--batch-size", str(BATCH), "--val-fraction",
                     "0", "--device", device.type, "--nproc", str(count)], threads=1)
                rates[count].append(summary["samples_per_s"])
    medians = {count: round(statistics.median(r), 1) for count, r in rates.items()}
    return {"measure": "multi_process_scaling", "processes": processes,
            "samples_per_s": {str(count): rate for count, rate in medians.items()},
            "scaling_efficiency": round(medians[processes] / (processes * medians[1]), 3),
            "batch_per_process": BATCH, "steps": budget.vector_steps, "rounds": budget.rounds}


def run_checks(budget: Budget, device: torch.device, *, with_compile: bool,
               processes: int = 1) -> None:
    """Print one JSON line per measure to stdout, as each finishes."""
    def emit(line: dict[str, object]) -> None:
        print(json.dumps({**line, "device": str(device)}), flush=True)

    started = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    emit({"measure": "machine", "gpu": gpu, "torch": torch.__version__,
          "cpu_threads": torch.get_num_threads(), "loadavg": list(os.getloadavg())})
    vectors = VectorDemos(budget.vector_rows)
    emit(compare("vector_bc_throughput", {
        "clonelab": lambda: vector_ours(vectors, budget.vector_steps, device),
        "bare": lambda: vector_bare(vectors, budget.vector_steps, device),
    }, budget.rounds, steps=budget.vector_steps))
    frames = PixelDemos(budget.pixel_rows)
    steps = budget.pixel_steps
    # The bare loop runs in the precision train_bc's "auto" picks for frames on this device.
    emit(compare("pixel_bc_throughput", {
        "clonelab": lambda: ours(frames, steps=steps, batch_size=BATCH, device=device),
        "bare": lambda: bare(frames, steps=steps, batch_size=BATCH, device=device,
                             precision="auto"),
    }, budget.rounds, steps=steps, frame_shape=[84, 84, 4]))
    emit(clone_return(budget, device))
    if with_compile:
        emit(compare("pixel_bc_throughput_compiled", {
            "clonelab": lambda: ours(frames, steps=steps, batch_size=BATCH, device=device,
                                     compile_step=True),
            "bare": lambda: bare(frames, steps=steps, batch_size=BATCH, device=device,
                                 precision="auto"),
        }, 1, steps=steps, note="includes the compile time of each clonelab run"))
    if processes > 1:
        emit(process_scaling(budget, device, processes))
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    emit({"measure": "peak_gpu_memory", "bytes": peak,
          "mib": None if peak is None else round(peak / 2**20, 1),
          "total_seconds": round(time.perf_counter() - started, 1)})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        default=os.environ.get("CLONELAB_CHECK_QUICK") == "1",
                        help="tiny budgets that only prove the path (CLONELAB_CHECK_QUICK=1)")
    parser.add_argument("--device", default="auto", help="auto (CUDA if present), cuda or cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--processes", type=int, default=None,
                        help="training processes for multi_process_scaling (default: the GPU "
                        "count when there are several, else the measure is skipped)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    budget = QUICK if args.quick else FULL
    gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    processes = args.processes if args.processes is not None else (gpus if gpus > 1 else 1)
    run_checks(budget, device, with_compile=device.type == "cuda" and not args.quick,
               processes=processes)


if __name__ == "__main__":
    sys.exit(main())
