"""Clone quality on Atari: BC from scripted-expert episodes, trained on a wall-clock budget.

Records `--episodes` episodes of the RAM expert (`models.expert_demos.record_expert`, seeds
0..n-1, `--noise` (0 unless given; with `--clean-labels` the expert's own choices are recorded,
DART), each cut at `--max-steps` when given) unless `--data` already holds them,
trains `train_bc` with the default observation pipeline (84x84 grey, 4 frames for ALE) for
`--steps` steps or until `--minutes` of wall clock have passed since the call (loading and
preprocessing included; the run is then cancelled and keeps its best weights by validation
loss), and plays the clone for `--eval-episodes` full episodes (`models.evaluation.evaluate`,
deterministic, seeds 1000..; never seen in training) next to a random policy on the same seeds.
The load average is sampled at every progress record: the machine is shared.

    .venv/bin/python bench/atari_clone.py --env ALE/Pong-v5 --max-steps 5000 \
        --data /tmp/pong20 --out bench/results/atari_clone_pong.json
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

import torch
from atari_experts import play
from benchlib import finish, machine

from clonelab.models.checkpoint import save_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.expert_demos import record_expert
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.dataset import DemoDataset

EVAL_SEED = 1000


def _dataset(path: Path, env_id: str, episodes: int, max_steps: int | None, noise: float,
             clean_labels: bool) -> tuple[DemoDataset, float | None]:
    """The expert demos at `path` (recorded now, with the seconds it took, if absent)."""
    if path.exists():
        return DemoDataset.open(path, env_id=env_id), None
    started = time.perf_counter()
    dataset = record_expert(path, env_id, seeds=range(episodes), max_steps=max_steps,
                            noise=noise, clean_labels=clean_labels)
    return dataset, time.perf_counter() - started


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="ALE/Pong-v5")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--clean-labels", action="store_true")
    parser.add_argument("--data", type=Path, required=True, help="dataset (recorded if absent)")
    parser.add_argument("--steps", type=int, default=None, help="None: TrainConfig's default")
    parser.add_argument("--batch", type=int, default=None, help="None: TrainConfig's default")
    parser.add_argument("--lr", type=float, default=None, help="None: TrainConfig's default")
    parser.add_argument("--log-every", type=int, default=None)
    parser.add_argument("--random-shift", type=int, default=None,
                        help="None: TrainConfig's default (no shift)")
    parser.add_argument("--lr-schedule", default=None, help="None: TrainConfig's default")
    parser.add_argument("--action-balance", type=float, default=None,
                        help="None: TrainConfig's default (0)")
    parser.add_argument("--weight-average", type=float, default=None,
                        help="None: TrainConfig's default (0, off)")
    parser.add_argument("--precision", default=None,
                        help="None: TrainConfig's default (auto)")
    parser.add_argument("--memory-budget-mb", type=int, default=None,
                        help="None: TrainConfig's default (1,024, about 150,000 frames of "
                             "84x84 grey); longer recordings need more to train in memory, "
                             "which action balance needs")
    parser.add_argument("--crop", default=None,
                        help="top,bottom,left,right pixels; None: the env's default")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--save", type=Path, default=None, help="write the clone's checkpoint")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    before = machine()
    dataset, record_s = _dataset(args.data, args.env, args.episodes, args.max_steps,
                                 args.noise, args.clean_labels)
    lengths = [dataset.episode_info(e).steps for e in dataset.episode_ids]
    print(f"{args.env}: {len(lengths)} episodes, {sum(lengths)} steps "
          f"(recorded in {record_s} s)", flush=True)

    chosen = {"steps": args.steps, "batch_size": args.batch, "lr": args.lr,
              "log_every": args.log_every, "random_shift": args.random_shift,
              "lr_schedule": args.lr_schedule, "action_balance": args.action_balance,
              "precision": args.precision, "weight_average": args.weight_average,
              "memory_budget_mb": args.memory_budget_mb,
              "crop": None if args.crop is None else tuple(int(v) for v in args.crop.split(","))}
    config = TrainConfig(seed=args.seed, **{k: v for k, v in chosen.items() if v is not None})
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    loads: list[float] = []
    sampling = threading.Event()

    def sample_load() -> None:  # every 10 s while training: records can be minutes apart
        while not sampling.wait(10):
            loads.append(os.getloadavg()[0])

    threading.Thread(target=sample_load, daemon=True).start()
    first_record_s = None
    job = train_bc(config, dataset, cancel=lambda: time.perf_counter() > deadline)
    result = None
    try:
        while True:
            progress = next(job)
            first_record_s = first_record_s or time.perf_counter() - started
            print(f"step {progress.step}/{progress.total_steps} val_loss {progress.val_loss} "
                  f"acc {progress.val_accuracy} {progress.samples_per_s:.0f} samples/s "
                  f"{progress.elapsed_s:.0f} s load {os.getloadavg()[0]:.2f}", flush=True)
    except StopIteration as stop:
        result = stop.value
    sampling.set()
    assert result is not None
    train_s = time.perf_counter() - started
    kept = result.kept
    print(f"trained {result.metrics.step} steps in {train_s:.0f} s, kept step {kept.step} "
          f"(val acc {kept.val_accuracy}), cancelled by the budget: {result.cancelled}",
          flush=True)

    if args.save is not None:
        save_policy(args.save, result.policy, config,
                    dataset_fingerprint=result.dataset_fingerprint)
    started = time.perf_counter()
    clone = evaluate(result.policy, args.env, episodes=args.eval_episodes, seed=EVAL_SEED)
    eval_s = time.perf_counter() - started
    random_returns = [play(args.env, "random", EVAL_SEED + i)["return"]
                      for i in range(args.eval_episodes)]
    results = {
        "env_id": args.env,
        "episodes": len(lengths),
        "episode_steps": lengths,
        "expert_mean_return": statistics.mean(
            dataset.episode_info(e).episode_return for e in dataset.episode_ids),
        "max_steps": args.max_steps,
        "record_s": record_s,
        "config": {"steps": config.steps, "total_steps": result.metrics.total_steps,
                   "batch_size": config.batch_size, "lr": config.lr,
                   "log_every": config.log_every, "minutes": args.minutes,
                   "random_shift": config.random_shift, "lr_schedule": config.lr_schedule,
                   "action_balance": config.action_balance, "precision": config.precision,
                   "weight_average": config.weight_average,
                   "memory_budget_mb": config.memory_budget_mb,
                   "dataset_tags": sorted({tag for e in dataset.episode_ids
                                           for tag in dataset.episode_info(e).tags}),
                   "threads": args.threads,
                   "pipeline": result.policy.spec.pipeline.describe()},
        "train_s": train_s,
        "first_record_s": first_record_s,
        "steps_done": result.metrics.step,
        "cancelled_by_budget": result.cancelled,
        "stopped_early": result.stopped_early,
        "samples_per_s": result.samples_per_s,
        "kept_step": kept.step,
        "kept_val_accuracy": kept.val_accuracy,
        "kept_val_loss": kept.val_loss,
        "load_1min_during_training": {"min": min(loads, default=None),
                                      "median": statistics.median(loads) if loads else None,
                                      "max": max(loads, default=None)},
        "clone_returns": list(clone.returns),
        "clone_lengths": list(clone.lengths),
        "clone_mean_return": clone.return_mean,
        "eval_s": eval_s,
        "random_returns": random_returns,
        "random_mean_return": statistics.mean(random_returns),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    finish(args.out, before=before, results_key="results", results=results)


if __name__ == "__main__":
    main(sys.argv[1:])
