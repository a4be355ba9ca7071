"""Clone quality of imitation's BC at a fixed budget (run by /work/imitation-venv/bin/python).

Trains on the demos of one ``.npz`` for ``--n-batches`` gradient steps, then plays
``--eval-episodes`` deterministic episodes, episode i reset with seed ``--eval-seed + i``.
Prints one JSON line with the returns.
"""

from __future__ import annotations

import argparse
import json

import gymnasium as gym
import numpy as np
import torch
from bc_setup import load_demos, make_bc
from stable_baselines3.common.policies import ActorCriticPolicy


def evaluate(policy: ActorCriticPolicy, env_id: str, *, episodes: int, seed: int) -> list[float]:
    """Undiscounted return of each deterministic episode."""
    env = gym.make(env_id)
    returns = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            action, _ = policy.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help=".npz written by bench/export.py")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--n-batches", type=int, required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--eval-seed", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--policy", choices=("same", "default"), default="same",
                        help="our 2x256 leaky_relu MLP, or imitation's FeedForward32Policy")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    demos = load_demos(args.data)
    trainer = make_bc(demos, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                      policy=args.policy)
    trainer.train(n_batches=args.n_batches, progress_bar=False)
    returns = evaluate(
        trainer.policy, demos.env_id, episodes=args.eval_episodes, seed=args.eval_seed
    )
    print(
        json.dumps(
            {
                "side": "imitation",
                "seed": args.seed,
                "returns": returns,
                "mean_return": float(np.mean(returns)),
            }
        )
    )


if __name__ == "__main__":
    main()
