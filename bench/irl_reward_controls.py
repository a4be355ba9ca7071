"""Is the learned CartPole reward more than chance? Learned rewards against untrained networks.

For each seed: record 5 expert episodes, learn a reward with AIRL and with GAIL, and build an
untrained reward network of the same shape (same observation normalisation, random weights).
For each of the three: the held-out correlation with the true discounted return-to-go
(``models.irl.heldout``), and the return of a fresh PPO policy trained on that frozen reward
alone (``models.irl.rl.train_on_reward``), played for 20 deterministic episodes.

    .venv/bin/python bench/irl_reward_controls.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from benchlib import machine, write_json
from irl_cartpole import ENV_ID, record_demos

from clonelab.models.evaluation import evaluate
from clonelab.models.irl.adversarial import AdversarialConfig, train_adversarial
from clonelab.models.irl.heldout import collect_held_out, reward_correlation
from clonelab.models.irl.reward import RewardModel
from clonelab.models.irl.rl import train_on_reward
from clonelab.recorder.jobs import drain

HERE = Path(__file__).resolve().parent
EVAL_SEED = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--irl-steps", type=int, default=50_000)
    parser.add_argument("--retrain-steps", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path,
                        default=HERE / "results" / "irl_reward_controls.json")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    before = machine()
    started = time.perf_counter()
    held_out = collect_held_out(ENV_ID, episodes=8)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="clonelab-irl-controls-") as workdir:
        for seed in args.seeds:
            dataset = record_demos(Path(workdir) / f"demos_{seed}", episodes=5, seed=1000 * seed)
            rewards: dict[str, RewardModel] = {}
            for method in ("airl", "gail"):
                config = AdversarialConfig(method=method, steps=args.irl_steps,  # type: ignore[arg-type]
                                           seed=seed)
                rewards[method] = drain(train_adversarial(config, dataset)).reward
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                untrained = RewardModel(rewards["airl"].spec)
            untrained.load_state_dict({**untrained.state_dict(),
                                       "obs_mean": rewards["airl"].obs_mean,
                                       "obs_std": rewards["airl"].obs_std})
            rewards["untrained"] = untrained.eval()
            for name, reward in rewards.items():
                retrained = train_on_reward(reward, steps=args.retrain_steps, seed=seed)
                scores = evaluate(retrained.policy, ENV_ID, episodes=20, seed=EVAL_SEED)
                row = {"seed": seed, "reward": name,
                       "return_to_go_correlation": reward_correlation(reward,
                                                                      held_out).return_to_go,
                       "retrained_return": scores.return_mean}
                rows.append(row)
                print(json.dumps(row), flush=True)
    write_json(args.out, {"command": " ".join(sys.argv), "settings": vars(args) | {
        "out": str(args.out)}, "machine_before": before, "machine_after": machine(),
        "wall_s": time.perf_counter() - started, "rows": rows})
    print("| reward | return-to-go correlation | return of PPO retrained on it |")
    print("|---|---|---|")
    for name in ("airl", "gail", "untrained"):
        mine = [r for r in rows if r["reward"] == name]
        correlations = ", ".join(f"{r['return_to_go_correlation']:.2f}" for r in mine)
        returns = ", ".join(f"{r['retrained_return']:.0f}" for r in mine)
        mean = np.mean([float(r["retrained_return"]) for r in mine])  # type: ignore[arg-type]
        print(f"| {name} | {correlations} | {returns} (mean {mean:.0f}) |")


if __name__ == "__main__":
    main()
