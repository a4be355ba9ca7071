"""Reaction lag: clones of a LunarLander expert reacting `--lag` steps late, 3 seeds.

Clones, each trained on 20 episodes (2,000 steps, batch 128, 64x64) and scored over 20
evaluation episodes: of the prompt expert ("unlagged"), of the lagged expert as recorded
("plain"), with action_shift = lag ("shifted"), with a history of lag + 1 ("history") and
with both ("shifted+history"); and the lag estimate of the lagged recording (expert and clone
references). Single-threaded torch. Writes bench/results/reaction_lag.json; docs/failures.md
("Reaction lag") quotes it. Usage: python bench/reaction_lag.py [--lag 5] [--seeds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench.benchlib import finish, machine
from clonelab.models.evaluation import evaluate
from clonelab.models.expert_demos import record_expert
from clonelab.models.lag_estimate import LagConfig, estimate_lag
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

ENV_ID = "LunarLander-v3"
DEMO_SEEDS = range(1000, 1020)


def _return(dataset: object, seed: int, **options: int) -> float:
    config = TrainConfig(steps=2000, batch_size=128, hidden=(64, 64), seed=seed, device="cpu",
                         log_every=2000, **options)
    policy = drain(train_bc(config, dataset)).policy
    return evaluate(policy, ENV_ID, episodes=20, seed=10_000 + 100 * seed).return_mean


def main() -> None:
    """Run every clone for every seed and the lag estimates; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lag", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    before = machine()
    lag = args.lag
    with tempfile.TemporaryDirectory() as folder:
        prompt = record_expert(Path(folder) / "prompt", ENV_ID, seeds=DEMO_SEEDS)
        lagged = record_expert(Path(folder) / "lagged", ENV_ID, seeds=DEMO_SEEDS, lag=lag)
        runs = {"unlagged": (prompt, {}), "plain": (lagged, {}),
                "shifted": (lagged, {"action_shift": lag}),
                "history": (lagged, {"history": lag + 1}),
                "shifted+history": (lagged, {"action_shift": lag, "history": lag + 1})}
        results: dict[str, object] = {
            "expert_returns": {name: float(np.mean([e.episode_return for e in
                                                    map(data.episode_info, data.episode_ids)]))
                               for name, data in (("prompt", prompt), ("lagged", lagged))}}
        for name, (data, options) in runs.items():
            returns = [_return(data, seed, **options) for seed in range(args.seeds)]
            results[name] = {"returns": returns, "mean": float(np.mean(returns))}
            print(name, [round(r, 1) for r in returns], flush=True)
        for reference in ("expert", "clone"):
            start = time.perf_counter()
            estimate = drain(estimate_lag(LagConfig(max_shift=10, reference=reference), lagged))
            assert estimate is not None
            results[f"estimate_{reference}"] = {
                "best_shift": estimate.best_shift, "seconds": time.perf_counter() - start,
                "agreement": [round(a, 4) for a in estimate.agreement]}
    finish("bench/results/reaction_lag.json", before=before, results_key="results",
           results=results, lag=lag)


if __name__ == "__main__":
    main()
