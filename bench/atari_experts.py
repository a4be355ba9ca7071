"""Benchmark for issue 10: full-episode returns of the RAM experts against a random policy.

Pong and Breakout as the catalog builds them (`make_env`: frame skip 4, sticky actions 0.25).
Episode k is reset with seed k; the expert plays at noise 0, seeded with k; the random policy
samples the action space seeded with k. Returns, episode lengths and wall-clock seconds.

    .venv/bin/python bench/atari_experts.py    # bench/results/atari_experts.json
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchlib import machine, write_json

from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import make_expert

GAMES = ("ALE/Pong-v5", "ALE/Breakout-v5")


def play(env_id: str, policy: str, seed: int) -> dict[str, float]:
    """One whole episode of `policy` ("expert" or "random"): its return, steps and seconds."""
    env = make_env(env_id)
    observation, _ = env.reset(seed=seed)
    expert = make_expert(env, seed=seed)
    expert.reset(seed=seed)
    env.action_space.seed(seed)
    started, total, steps, done = time.perf_counter(), 0.0, 0, False
    while not done:
        action = expert.act(observation) if policy == "expert" else env.action_space.sample()
        observation, reward, terminated, truncated, _ = env.step(action)
        total, steps, done = total + float(reward), steps + 1, terminated or truncated
    env.close()
    return {"return": total, "steps": steps, "seconds": time.perf_counter() - started}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--out", default="bench/results/atari_experts.json")
    args = parser.parse_args(argv)
    results = []
    for env_id in GAMES:
        for policy in ("expert", "random"):
            episodes = [play(env_id, policy, seed) for seed in range(args.episodes)]
            returns = [episode["return"] for episode in episodes]
            row = {"env_id": env_id, "policy": policy, "mean_return": statistics.mean(returns),
                   "episodes": episodes}
            print(f"{env_id:16} {policy:7} mean return {row['mean_return']:7.1f}  returns "
                  f"{returns}  steps {[episode['steps'] for episode in episodes]}", flush=True)
            results.append(row)
    write_json(args.out, {"machine": machine(), "results": results})


if __name__ == "__main__":
    main(sys.argv[1:])
