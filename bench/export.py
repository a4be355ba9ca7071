"""Expert demonstrations to a ``.npz`` that both benchmark venvs read.

Plays CloneLab's scripted expert (``recorder.experts.make_expert``) in envs built by
``recorder.catalog.make_env``; episode k is reset with seed ``seed + k``.

    .venv/bin/python bench/export.py --env-id CartPole-v1 --min-steps 50000 \\
        --out /tmp/clonelab-bench/cartpole_50k.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from npz_demos import NpzTransitions, write_demos

from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import make_expert


def collect(
    env_id: str, *, episodes: int | None = None, min_steps: int | None = None, seed: int = 0
) -> NpzTransitions:
    """Expert episodes until ``episodes`` are done or ``min_steps`` steps are reached."""
    if (episodes is None) == (min_steps is None):
        raise ValueError("give episodes or min_steps, not both")
    env = make_env(env_id)
    expert = make_expert(env, seed=seed)
    observations, actions, rewards, episode_ids = [], [], [], []
    episode = 0
    while (episodes is not None and episode < episodes) or (
        min_steps is not None and len(actions) < min_steps
    ):
        obs, _ = env.reset(seed=seed + episode)
        expert.reset(seed=seed + episode)
        done = False
        while not done:
            action = expert.act(obs)
            observations.append(obs)
            actions.append(action)
            episode_ids.append(episode)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
            done = terminated or truncated
        episode += 1
    env.close()
    return NpzTransitions(
        observations=np.asarray(observations, dtype=np.float32),
        actions=np.asarray(actions),
        rewards=np.asarray(rewards, dtype=np.float32),
        episode_ids=np.asarray(episode_ids, dtype=np.int64),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-id", default="CartPole-v1")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--episodes", type=int)
    size.add_argument("--min-steps", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = collect(args.env_id, episodes=args.episodes, min_steps=args.min_steps, seed=args.seed)
    write_demos(args.out, env_id=args.env_id, transitions=data)
    n_episodes = len(np.unique(data.episode_ids))
    mean_return = float(data.rewards.sum()) / n_episodes
    print(f"{args.out}: {len(data.actions)} steps, {n_episodes} episodes, "
          f"mean return {mean_return:.1f}")


if __name__ == "__main__":
    main()
