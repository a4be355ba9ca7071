"""Benchmark 2: clone quality at equal budgets, CloneLab's BC vs imitation's BC.

For each case (env, number of expert episodes) and seed, the expert episodes are collected once
(reset seeds ``1000 * seed + k``) into a ``.npz`` that both sides train on, with the same
network (2x256 leaky_relu MLP), optimiser (Adam), learning rate, batch size and number of
gradient steps. Each clone then plays 20 deterministic episodes, episode i reset with seed
``10_000 + i`` on both sides.

CloneLab trains with its defaults otherwise (observation normalisation, 10% of the episodes,
or of the steps of a single episode, held out for validation); imitation trains on every row.
CloneLab also runs with validation off (``val_fraction=0``), training on every row as
imitation does. imitation also runs with its own defaults (FeedForward32Policy, batches of
32) for the same number of gradient steps, which is how it is used out of the box.

    .venv/bin/python bench/clone_quality.py
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
from benchlib import finish, machine, summary
from export import collect
from npz_demos import NpzDemos, write_demos

from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
IMITATION_SCRIPT = HERE / "imitation_side" / "quality.py"
CASES = (("CartPole-v1", 1), ("CartPole-v1", 2), ("Pendulum-v1", 20))
EVAL_SEED = 10_000
# imitation's BC defaults: FeedForward32Policy (32x32 tanh) and batches of 32.
IMITATION_DEFAULT_BATCH = 32
SIDES = ("clonelab", "clonelab_all_rows", "imitation", "imitation_defaults")


def ours(demos: NpzDemos, config: TrainConfig, *, eval_episodes: int) -> dict[str, object]:
    """Train with train_bc and evaluate with models.evaluation.evaluate."""
    start = time.perf_counter()
    result = drain(train_bc(config, demos))
    train_s = time.perf_counter() - start
    scores = evaluate(result.policy, demos.env_id, episodes=eval_episodes, seed=EVAL_SEED,
                      deterministic=True)
    return {"returns": list(scores.returns), "mean_return": scores.return_mean,
            "train_s": train_s}


def imitation(python: str, data: Path, config: TrainConfig, *, eval_episodes: int,
              threads: int, policy: str) -> dict[str, object]:
    """The same budget for imitation's BC, in its venv, with our network or its default one."""
    start = time.perf_counter()
    out = subprocess.run(
        [python, str(IMITATION_SCRIPT), "--data", str(data),
         "--batch-size", str(config.batch_size), "--n-batches", str(config.steps),
         "--lr", str(config.lr), "--seed", str(config.seed),
         "--eval-episodes", str(eval_episodes), "--eval-seed", str(EVAL_SEED),
         "--threads", str(threads), "--policy", policy],
        check=True, capture_output=True, text=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    report["wall_s"] = time.perf_counter() - start
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cases", nargs="+", default=[f"{e}:{n}" for e, n in CASES],
                        help="ENV_ID:EPISODES of the cases to run (default: all)")
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--steps", type=int, default=5000, help="gradient steps, both sides")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads on both sides (speed only; 2 collapse under load)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clonelab-bench/quality"))
    parser.add_argument("--imitation-python", default="/work/imitation-venv/bin/python")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "clone_quality.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    evals, threads, python = args.eval_episodes, args.threads, args.imitation_python
    sides = {
        "clonelab": lambda path, config: ours(NpzDemos(path), config, eval_episodes=evals),
        "clonelab_all_rows": lambda path, config: ours(
            NpzDemos(path), dataclasses.replace(config, val_fraction=0.0), eval_episodes=evals),
        "imitation": lambda path, config: imitation(
            python, path, config, eval_episodes=evals, threads=threads, policy="same"),
        "imitation_defaults": lambda path, config: imitation(
            python, path, dataclasses.replace(config, batch_size=IMITATION_DEFAULT_BATCH),
            eval_episodes=evals, threads=threads, policy="default"),
    }
    cases = [case for case in CASES if f"{case[0]}:{case[1]}" in args.cases]
    before = machine()
    runs = []
    for env_id, n_episodes in cases:
        for seed in args.seeds:
            demos_seed = 1000 * seed
            data = collect(env_id, episodes=n_episodes, seed=demos_seed)
            path = args.workdir / f"{env_id}_{n_episodes}ep_seed{seed}.npz"
            write_demos(path, env_id=env_id, transitions=data)
            config = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                                 seed=seed, device="cpu")
            run = {
                "env_id": env_id,
                "expert_episodes": n_episodes,
                "seed": seed,
                "demo_steps": len(data.actions),
                "expert_mean_return": float(data.rewards.sum()) / n_episodes,
            } | {side: sides[side](path, config) for side in args.sides}
            runs.append(run)
            print(json.dumps({k: run[k] for k in ("env_id", "expert_episodes", "seed",
                                                   "expert_mean_return")}
                             | {side: round(run[side]["mean_return"], 1) for side in args.sides}),
                  flush=True)

    by_case = {}
    for env_id, n_episodes in cases:
        mine = [r for r in runs if r["env_id"] == env_id and r["expert_episodes"] == n_episodes]
        by_case[f"{env_id} x{n_episodes}"] = {
            side: {"per_seed_mean_return": [r[side]["mean_return"] for r in mine],
                   "over_seeds": summary([r[side]["mean_return"] for r in mine])}
            for side in args.sides
        } | {"expert_mean_return": float(np.mean([r["expert_mean_return"] for r in mine]))}
    finish(args.out, before=before, results_key="cases", results=by_case,
           budget={"steps": args.steps, "batch_size": args.batch_size, "lr": args.lr,
                   "threads": args.threads}, runs=runs)


if __name__ == "__main__":
    main()
