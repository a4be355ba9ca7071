"""Benchmark 3: loading 1M vector transitions from a DemoDataset into training tensors.

Writes (once) a dataset of 1000 episodes x 1000 steps of an 8-dim float32 observation with
Discrete(4) actions (LunarLander-v3's spaces), then times, each time in a fresh process:
``DemoDataset.open`` and ``ds.transitions()`` + ``torch.as_tensor`` of observations and
actions, then (apart) ``train_bc`` from the path up to its first gradient step. The files are
in the page cache (they were just written or read): these are warm-cache numbers.

    .venv/bin/python bench/load_transitions.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from benchlib import machine, summary, write_json

from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.dataset import DemoDataset, EpisodeData

HERE = Path(__file__).resolve().parent
ENV_ID = "LunarLander-v3"
OBS_DIM = 8


def build(path: Path, *, episodes: int, steps: int, seed: int = 0) -> None:
    """Write ``episodes`` synthetic episodes of ``steps`` steps each."""
    rng = np.random.default_rng(seed)
    ds = DemoDataset.create(
        path,
        env_id=ENV_ID,
        observation_space=gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float32),
        action_space=gym.spaces.Discrete(4),
    )
    now = time.time()
    for episode in range(episodes):
        terminations = np.zeros(steps, dtype=bool)
        terminations[-1] = True
        ds.append(
            EpisodeData(
                observations=rng.standard_normal((steps + 1, OBS_DIM), dtype=np.float32),
                actions=rng.integers(0, 4, steps),
                rewards=rng.standard_normal(steps).astype(np.float32),
                terminations=terminations,
                truncations=np.zeros(steps, dtype=bool),
                timestamps=now + np.arange(steps + 1) / 50.0,
                actors=("expert",) * steps,
                devices=("script",) * steps,
                seed=episode,
                fps=50.0,
            )
        )


def measure_once(path: Path) -> dict[str, float]:
    """Time open, transitions() and the tensor conversion in this (fresh) process."""
    start = time.perf_counter()
    ds = DemoDataset.open(path)
    opened = time.perf_counter()
    data = ds.transitions()
    read = time.perf_counter()
    observations = torch.as_tensor(data.observations)
    actions = torch.as_tensor(data.actions)
    done = time.perf_counter()
    if observations.shape[0] != ds.total_steps or actions.shape[0] != ds.total_steps:
        raise RuntimeError(f"loaded {observations.shape[0]} rows, expected {ds.total_steps}")
    # Beyond the goal: train_bc's start-up on the same data (its read, checks, split,
    # statistics, row copies) and one step, up to its first progress record; without and with
    # the default 10% validation (which scores every held-out row at each record). Adam is
    # built once first: its first construction imports torch._dynamo (~3 s, once per process).
    del observations, actions, data
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    first_record = {}
    for val_fraction in (0.0, 0.1):
        config = TrainConfig(steps=1, log_every=1, val_fraction=val_fraction, device="cpu")
        setup_start = time.perf_counter()
        next(train_bc(config, DemoDataset.open(path)))
        first_record[val_fraction] = time.perf_counter() - setup_start
    return {
        "rows": int(ds.total_steps),
        "open_s": opened - start,
        "transitions_s": read - opened,
        "as_tensor_s": done - read,
        "transitions_plus_tensor_s": done - opened,
        "total_s": done - start,
        "train_bc_first_record_no_val_s": first_record[0.0],
        "train_bc_first_record_val10_s": first_record[0.1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=Path("/tmp/clonelab-bench/load1m"))
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--once", action="store_true", help="one measurement (internal)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "load_transitions.json")
    args = parser.parse_args()

    if args.once:
        print(json.dumps(measure_once(args.dataset)))
        return
    build_s = None
    if not args.dataset.exists():
        start = time.perf_counter()
        build(args.dataset, episodes=args.episodes, steps=args.steps)
        build_s = time.perf_counter() - start
    before = machine()
    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, __file__, "--dataset", str(args.dataset), "--once"],
                             check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout))
        print(out.stdout.strip(), flush=True)
    keys = [k for k in runs[0] if k.endswith("_s")]
    report = {
        "command": " ".join(sys.argv),
        "dataset": str(args.dataset),
        "build_s": build_s,
        "rows": runs[0]["rows"],
        "machine_before": before,
        "machine_after": machine(),
        "seconds": {k: summary([r[k] for r in runs]) for k in keys},
        "runs": runs,
    }
    write_json(args.out, report)
    print(json.dumps(report["seconds"], indent=2))


if __name__ == "__main__":
    main()
