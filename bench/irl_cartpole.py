"""Benchmark: AIRL and GAIL on CartPole from 5 scripted-expert episodes.

For each method and seed: record 5 expert episodes (reset seeds ``1000 * seed + k``) with
``clonelab expert``, run ``train_adversarial`` with its CartPole preset, and every
``--eval-every`` env steps play the checkpointed policy for 20 deterministic episodes (reset
seeds 10,000 + i). Reports the env steps and the training seconds at which the policy first
averaged 450 or more, the final return, and the held-out reward correlations. Evaluation time
is not counted in the training seconds.

    .venv/bin/python bench/irl_cartpole.py
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from benchlib import finish, machine, summary

from clonelab.app.cli import main as clonelab
from clonelab.models.checkpoint import load_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.irl.adversarial import (
    POLICY_FILE,
    AdversarialConfig,
    IRLProgress,
    train_adversarial,
)
from clonelab.models.irl.heldout import collect_held_out, reward_correlation
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
ENV_ID = "CartPole-v1"
EVAL_SEED = 10_000
TARGET = 450.0


def record_demos(folder: Path, *, episodes: int, seed: int) -> DemoDataset:
    """Scripted-expert episodes through the public CLI."""
    code = clonelab(["expert", ENV_ID, "--episodes", str(episodes), "--out", str(folder),
                     "--seed", str(seed), "--json"])
    if code != 0:
        raise SystemExit(f"recording demos failed ({code})")
    return DemoDataset.open(folder)


def run(method: str, seed: int, *, steps: int, eval_every: int, episodes: int,
        eval_episodes: int, workdir: Path) -> dict[str, object]:
    """One training run with its evaluation curve."""
    dataset = record_demos(workdir / f"demos_{method}_{seed}", episodes=episodes,
                           seed=1000 * seed)
    config = AdversarialConfig(method=method, steps=steps, seed=seed, log_every=eval_every,
                               checkpoint_every=eval_every)  # type: ignore[arg-type]
    checkpoints = workdir / f"run_{method}_{seed}"
    curve = []

    def score(record: IRLProgress) -> None:
        with torch.random.fork_rng(devices=[]):  # loading must not move PPO's random stream
            policy = load_policy(checkpoints / POLICY_FILE)
        scores = evaluate(policy, ENV_ID, episodes=eval_episodes, seed=EVAL_SEED)
        curve.append({"env_steps": record.env_steps, "train_s": round(record.elapsed_s, 2),
                      "eval_return": scores.return_mean, "train_return": record.true_return,
                      "disc_accuracy": record.disc_accuracy})
        print(json.dumps({"method": method, "seed": seed} | curve[-1]), flush=True)

    result = drain(train_adversarial(config, dataset, checkpoint_dir=checkpoints), score)
    final = evaluate(result.policy, ENV_ID, episodes=eval_episodes, seed=EVAL_SEED)
    first = next((point for point in curve if point["eval_return"] >= TARGET), None)
    correlation = reward_correlation(result.reward, collect_held_out(ENV_ID, episodes=8))
    return {
        "method": method,
        "seed": seed,
        "demo_steps": dataset.total_steps,
        "env_steps": result.env_steps,
        "train_s": result.seconds,
        "final_return": final.return_mean,
        "final_return_std": final.return_std,
        "steps_to_target": first["env_steps"] if first else None,
        "seconds_to_target": first["train_s"] if first else None,
        "return_to_go_correlation": correlation.return_to_go,
        "curve": curve,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", default=["airl", "gail"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--eval-every", type=int, default=10_240,
                        help="env steps between evaluations (a multiple of 256, the round)")
    parser.add_argument("--episodes", type=int, default=5, help="expert episodes")
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 ran 7x faster than 2 on the busy 2-core box)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "irl_cartpole.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    before = machine()
    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory(prefix="clonelab-irl-") as workdir:
        for method in args.methods:
            for seed in args.seeds:
                runs.append(run(method, seed, steps=args.steps, eval_every=args.eval_every,
                                episodes=args.episodes, eval_episodes=args.eval_episodes,
                                workdir=Path(workdir)))
    methods = {}
    for method in args.methods:
        mine = [r for r in runs if r["method"] == method]
        reached = [r["steps_to_target"] for r in mine if r["steps_to_target"] is not None]
        methods[method] = {
            "final_return": summary([r["final_return"] for r in mine]),
            "train_s": summary([r["train_s"] for r in mine]),
            "seeds_reaching_target": len(reached),
            "steps_to_target": summary(reached) if reached else None,
            "return_to_go_correlation": summary([r["return_to_go_correlation"] for r in mine]),
        }
    finish(args.out, before=before, results_key="methods", results=methods,
           settings=vars(args) | {"out": str(args.out)},
           wall_s=time.perf_counter() - started, runs=runs)


if __name__ == "__main__":
    main()
