"""Expert demonstrations to a ``.npz`` that both benchmark venvs read.

Plays CloneLab's scripted expert through ``models.expert_demos.expert_episodes`` (the same
loop as ``clonelab expert``); episode k is reset with seed ``seed + k``.

    .venv/bin/python bench/export.py --env-id CartPole-v1 --min-steps 50000 \\
        --out /tmp/clonelab-bench/cartpole_50k.npz
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from npz_demos import NpzTransitions, write_demos

from clonelab.models.expert_demos import expert_episodes
from clonelab.recorder.dataset import EpisodeData


def collect(
    env_id: str, *, episodes: int | None = None, min_steps: int | None = None, seed: int = 0
) -> NpzTransitions:
    """Expert episodes until ``episodes`` are done or ``min_steps`` steps are reached."""
    if (episodes is None) == (min_steps is None):
        raise ValueError("give episodes or min_steps, not both")
    seeds = range(seed, seed + episodes) if episodes is not None else itertools.count(seed)
    played: list[EpisodeData] = []
    for episode in expert_episodes(env_id, seeds):
        played.append(episode)
        if min_steps is not None and sum(len(e.actions) for e in played) >= min_steps:
            break
    return NpzTransitions(
        observations=np.concatenate([e.observations[:-1] for e in played]).astype(np.float32),
        actions=np.concatenate([e.actions for e in played]),
        rewards=np.concatenate([e.rewards for e in played]).astype(np.float32),
        episode_ids=np.concatenate([np.full(len(e.actions), k, dtype=np.int64)
                                    for k, e in enumerate(played)]),
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
