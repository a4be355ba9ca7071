"""Mixed quality: LunarLander demos of 3 expert and 6 noisy-expert episodes, 3 seeds.

The Failures tab's comparison (`models.failures.quality.compare_quality`, its default
`QualityConfig`: 800 steps of a 64x64 network, select_by "eval_return" for the curves, 8
evaluation episodes): clones on all the episodes, on the best half by return, and on all of
them weighted by return (return_temperature 0.5). Then the weighted clone at other
temperatures (0.25, 1) and weighted by tag ("noisy=0.1") with the same training. Noisy
episodes take a random action half the time. Single-threaded torch. Writes
bench/results/mixed_quality.json; docs/failures.md ("Mixed quality") quotes it.
Usage: python bench/mixed_quality.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench.benchlib import finish, machine
from clonelab.models.evaluation import evaluate
from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.models.failures.quality import QualityConfig, compare_quality
from clonelab.models.training import train_bc
from clonelab.recorder.jobs import drain

ENV_ID = "LunarLander-v3"


def main() -> None:
    """Run the comparison and the weighting variants for every seed; write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    before = machine()
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        dataset = record_expert(Path(folder) / "mixed", ENV_ID, seeds=range(3), tags=("expert",))
        for episode in expert_episodes(ENV_ID, range(100, 106), noise=0.5):
            dataset.append(episode, tags=("noisy",))
        demos = [dataset.episode_info(i).episode_return for i in dataset.episode_ids]
        for seed in range(args.seeds):
            base = QualityConfig()
            config = dataclasses.replace(base, train=dataclasses.replace(
                base.train, seed=seed, device="cpu"))
            comparison = drain(compare_quality(config, dataset))
            for arm in comparison.arms:
                row = results.setdefault(arm.label, {"returns": [], "curves": []})
                row["returns"].append(arm.clone_return_mean)
                row["curves"].append(list(arm.curve_returns))
            variants = {"weighted T=0.25": {"return_temperature": 0.25},
                        "weighted T=1": {"return_temperature": 1.0},
                        "tags noisy=0.1": {"return_temperature": None,
                                           "tag_weights": "noisy=0.1"}}
            for name, options in variants.items():
                train = dataclasses.replace(config.train, **options)
                policy = drain(train_bc(train, dataset)).policy
                score = evaluate(policy, ENV_ID, episodes=config.eval_episodes,
                                 seed=config.eval_seed).return_mean
                results.setdefault(name, {"returns": []})["returns"].append(score)
            print(seed, {name: round(row["returns"][-1], 1) for name, row in results.items()},
                  flush=True)
    summary = {name: {**row, "mean": float(np.mean(row["returns"]))}
               for name, row in results.items()}
    finish("bench/results/mixed_quality.json", before=before, results_key="results",
           results=summary, demo_returns=demos)


if __name__ == "__main__":
    main()
