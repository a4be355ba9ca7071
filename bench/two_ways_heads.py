"""Several good ways: the scripted expert's and each head's clone's success on PointMaze_TwoWays-v3.

Records `--episodes` expert episodes (reset seeds 0..N-1, both ways round the block about
equally often), trains one clone per head and training seed on them, and plays each clone
deterministically from the same evaluation seeds as the expert. Success = the ball reached the
goal (PointMaze's reward is 1 then, else 0, so the mean return is the success rate) within the
env's 150 steps; "at pace" counts only episodes done within `--pace` steps (the expert's slowest
from these starts takes 91).

    .venv/bin/python bench/two_ways_heads.py --heads gaussian,mixture,discretised --seeds 0,1,2

Single-threaded torch (the machine is shared); prints one line per clone and writes JSON to
bench/results/two_ways_heads.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from benchlib import machine

from clonelab.models.evaluation import evaluate
from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from clonelab.recorder.maze_envs import TWO_WAYS_ID

EVAL_SEED = 1000


def rates(returns: list[float], lengths: list[int], pace: int) -> tuple[float, float]:
    """(success rate, success rate within `pace` steps)."""
    reached = np.asarray(returns) > 0
    return float(reached.mean()), float((reached & (np.asarray(lengths) <= pace)).mean())


def expert_success(episodes: int, pace: int) -> tuple[float, float, float]:
    """The expert's success rates (all, at pace) and mean length from the clones' starts."""
    played = list(expert_episodes(TWO_WAYS_ID, range(EVAL_SEED, EVAL_SEED + episodes)))
    lengths = [len(episode) for episode in played]
    return (*rates([episode.episode_return for episode in played], lengths, pace),
            float(np.mean(lengths)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=30, help="expert demos to record")
    parser.add_argument("--heads", default="gaussian,mixture,discretised")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds")
    parser.add_argument("--steps", type=int, default=None, help="gradient steps (default: "
                        "TrainConfig's)")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--pace", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("bench/results/two_ways_heads.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    hidden = tuple(int(size) for size in args.hidden.split(","))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        dataset = record_expert(Path(folder) / "maze", TWO_WAYS_ID,
                                seeds=range(args.episodes))
        expert = expert_success(args.eval_episodes, args.pace)
        print(f"expert: success {expert[0]:.2f}, at pace {expert[1]:.2f}, {expert[2]:.0f} "
              f"steps over {args.eval_episodes} episodes; demos {dataset.total_steps} steps")
        for head in args.heads.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                start = time.perf_counter()
                config = TrainConfig(head=head, seed=seed, steps=args.steps, hidden=hidden,
                                     device="cpu")
                policy = drain(train_bc(config, dataset)).policy
                result = evaluate(policy, TWO_WAYS_ID, episodes=args.eval_episodes,
                                  seed=EVAL_SEED)
                success, at_pace = rates(list(result.returns), list(result.lengths), args.pace)
                rows.append({"head": head, "seed": seed, "success": success,
                             "success_at_pace": at_pace, "length_mean": result.length_mean,
                             "seconds": time.perf_counter() - start})
                print(f"{head:12s} seed {seed}: success {success:.2f}, at pace {at_pace:.2f}, "
                      f"{result.length_mean:.0f} steps, {rows[-1]['seconds']:.0f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "expert": {"success": expert[0], "success_at_pace": expert[1], "length_mean": expert[2]},
        "episodes": args.episodes, "eval_episodes": args.eval_episodes, "pace": args.pace,
        "steps": args.steps, "hidden": hidden, "machine": machine(), "clones": rows}, indent=1))


if __name__ == "__main__":
    main()
