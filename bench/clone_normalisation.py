"""Observation normalisation for BC clones: the demos' std as it is, floored, or none at all.

Same demos, budget and evaluation as bench/clone_quality.py (expert episodes reset with seeds
``1000 * seed + k``, 5,000 steps, 20 evaluation episodes from seed 10,000), validation off.
Three ways to normalise the policy's inputs, everything else equal:

- ``plain``: divide by the demos' own std (what `train_bc` did before issue 9, item 26; run
  here by setting `models.data.STD_FLOOR` to 1e-12 for the run);
- ``floor``: what `train_bc` does now (`models.data.input_stats`: the std floored at
  `STD_FLOOR`);
- ``identity``: mean 0 and std 1, the raw observations (imitation's BC does no scaling);
- ``floor=F`` for each ``--floors F``: the floor set to F, to measure its value.

    .venv/bin/python bench/clone_normalisation.py                        # CartPole, 1 episode
    .venv/bin/python bench/clone_normalisation.py --env-id LunarLander-v3 --episodes 10 \\
        --seeds 0 1 2 --out bench/results/clone_normalisation_lunarlander.json
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

import clonelab.models.data
import clonelab.models.training
from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent


def identity_stats(observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean 0, std 1: the policy sees raw observations."""
    width = observations.reshape(len(observations), -1).shape[1]
    return np.zeros(width), np.ones(width)


WAYS = {
    "plain": lambda: mock.patch.object(clonelab.models.data, "STD_FLOOR", 1e-12),
    "floor": lambda: mock.patch.object(clonelab.models.data, "STD_FLOOR",
                                       clonelab.models.data.STD_FLOOR),
    "identity": lambda: mock.patch.object(clonelab.models.training, "input_stats",
                                          identity_stats),
}


def score(demos: NpzDemos, seed: int, steps: int, eval_episodes: int) -> float:
    """Mean return of a clone trained with train_bc (all rows) on ``demos``."""
    config = TrainConfig(steps=steps, seed=seed, val_fraction=0.0, device="cpu")
    result = drain(train_bc(config, demos))
    return evaluate(result.policy, demos.env_id, episodes=eval_episodes,
                    seed=EVAL_SEED).return_mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-id", default="CartPole-v1")
    parser.add_argument("--episodes", type=int, default=1, help="expert episodes per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS))
    parser.add_argument("--floors", type=float, nargs="*", default=[],
                        help="also train with STD_FLOOR set to each of these values")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clonelab-bench/quality"))
    parser.add_argument("--out", type=Path,
                        default=HERE / "results" / "clone_normalisation.json")
    args = parser.parse_args()

    torch.set_num_threads(1)
    ways = {way: WAYS[way] for way in args.ways} | {
        f"floor={floor:g}": (lambda floor=floor: mock.patch.object(
            clonelab.models.data, "STD_FLOOR", floor))
        for floor in args.floors}
    before = machine()
    runs = []
    for seed in args.seeds:
        path = args.workdir / f"{args.env_id}_{args.episodes}ep_seed{seed}.npz"
        write_demos(path, env_id=args.env_id,
                    transitions=collect(args.env_id, episodes=args.episodes, seed=1000 * seed))
        demos = NpzDemos(path)
        std = demos.transitions().observations.std(axis=0)
        run: dict[str, object] = {"seed": seed,
                                  "observation_std": [round(float(s), 4) for s in std]}
        for way, patch in ways.items():
            with patch():
                run[way] = score(demos, seed, args.steps, args.eval_episodes)
        runs.append(run)
        print(json.dumps(run), flush=True)
    write_json(args.out, {"command": " ".join(sys.argv), "env_id": args.env_id,
                          "episodes": args.episodes, "std_floor": clonelab.models.data.STD_FLOOR,
                          "machine_before": before, "machine_after": machine(), "runs": runs})


if __name__ == "__main__":
    main()
