"""Benchmark for issue 9, item 26: CartPole clones from one expert episode, 10 seeds.

For seed s the scripted expert plays one episode reset with seed ``1000 * s``; `train_bc`
trains on it with seed s on the CPU, and the clone plays 20 deterministic episodes reset with
seeds 10,000-10,019. Two settings:

- ``defaults``: `TrainConfig(seed=s, device="cpu")`, everything else as a person gets it (the
  last 10% of the episode held out, the weights with the best validation loss kept, early
  stopping, the step count that scales with the data).
- ``all_rows_5000``: 5,000 steps with validation off, the budget and rows imitation's BC gets
  in bench/clone_quality.py (the "dataset statistics" row of bench/clone_normalisation.py).

    .venv/bin/python bench/cartpole_one_episode.py    # bench/results/cartpole_one_episode.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from benchlib import machine, write_json
from clone_quality import EVAL_SEED
from export import collect
from npz_demos import NpzDemos, write_demos

from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
ENV_ID = "CartPole-v1"
SETTINGS = {
    "defaults": {},
    "all_rows_5000": {"steps": 5000, "val_fraction": 0.0},
}
GOAL = 475.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--settings", nargs="+", choices=SETTINGS, default=list(SETTINGS))
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clonelab-bench/quality"))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "cartpole_one_episode.json")
    args = parser.parse_args()

    torch.set_num_threads(1)
    before = machine()
    runs = []
    for seed in args.seeds:
        path = args.workdir / f"{ENV_ID}_1ep_seed{seed}.npz"
        write_demos(path, env_id=ENV_ID, transitions=collect(ENV_ID, episodes=1, seed=1000 * seed))
        demos = NpzDemos(path)
        run: dict[str, object] = {"seed": seed}
        for setting in args.settings:
            config = TrainConfig(seed=seed, device="cpu", **SETTINGS[setting])
            result = drain(train_bc(config, demos))
            score = evaluate(result.policy, ENV_ID, episodes=args.eval_episodes, seed=EVAL_SEED)
            run[setting] = {"mean_return": score.return_mean, "steps": result.metrics.step,
                            "kept_step": result.kept.step,
                            "stopped_early": result.stopped_early}
        runs.append(run)
        print(json.dumps(run), flush=True)
    summary = {setting: {"per_seed": [r[setting]["mean_return"] for r in runs],  # type: ignore[index]
                         "seeds_at_goal": sum(r[setting]["mean_return"] >= GOAL  # type: ignore[index]
                                              for r in runs)}
               for setting in args.settings}
    print(json.dumps(summary), flush=True)
    write_json(args.out, {"command": " ".join(sys.argv), "goal": GOAL,
                          "machine_before": before, "machine_after": machine(),
                          "summary": summary, "runs": runs})


if __name__ == "__main__":
    main()
