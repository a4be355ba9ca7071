"""Diagnosis for benchmark 2: CloneLab's CartPole clones from one episode, with and without
observation normalisation.

Same demos, budget and evaluation as bench/clone_quality.py (case CartPole-v1:1), validation
off. "identity" trains with mean 0 and std 1 in place of the dataset's statistics; train_bc has
no switch for that, so this script swaps `models.training.observation_stats` for the run (a
diagnostic, not a way to train).

    .venv/bin/python bench/clone_normalisation.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from benchlib import machine, write_json
from clone_quality import EVAL_SEED
from export import collect
from npz_demos import NpzDemos, write_demos

import clonelab.models.training
from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
ENV_ID = "CartPole-v1"


def identity_stats(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean 0, std 1: the policy sees raw observations."""
    width = observations.reshape(len(observations), -1).shape[1]
    return np.zeros(width), np.ones(width)


def score(demos: NpzDemos, seed: int, steps: int, eval_episodes: int) -> float:
    """Mean return of a clone trained with train_bc (all rows) on ``demos``."""
    config = TrainConfig(steps=steps, seed=seed, val_fraction=0.0, device="cpu")
    result = drain(train_bc(config, demos))
    return evaluate(result.policy, ENV_ID, episodes=eval_episodes, seed=EVAL_SEED).return_mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clonelab-bench/quality"))
    parser.add_argument("--out", type=Path,
                        default=HERE / "results" / "clone_normalisation.json")
    args = parser.parse_args()

    torch.set_num_threads(1)
    before = machine()
    runs = []
    for seed in args.seeds:
        path = args.workdir / f"{ENV_ID}_1ep_seed{seed}.npz"
        write_demos(path, env_id=ENV_ID, transitions=collect(ENV_ID, episodes=1, seed=1000 * seed))
        demos = NpzDemos(path)
        dataset_stats = score(demos, seed, args.steps, args.eval_episodes)
        with mock.patch.object(clonelab.models.training, "observation_stats", identity_stats):
            identity = score(demos, seed, args.steps, args.eval_episodes)
        std = demos.transitions().observations.std(axis=0)
        run = {"seed": seed, "observation_std": [round(float(s), 4) for s in std],
               "dataset_stats": dataset_stats, "identity": identity}
        runs.append(run)
        print(json.dumps(run), flush=True)
    write_json(args.out, {"command": " ".join(sys.argv), "machine_before": before,
                          "machine_after": machine(), "runs": runs})


if __name__ == "__main__":
    main()
