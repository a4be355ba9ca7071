"""Real demo datasets for the learning tests: scripted experts played through a PlaySession."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import make_expert
from clonelab.recorder.session import PlaySession


def record_expert_dataset(path: Path, env_id: str, *, episodes: int, seed: int = 0,
                          **env_kwargs: Any) -> DemoDataset:
    """A dataset at `path` of `episodes` noise-free expert episodes reset with seed, seed+1, ...

    `env_kwargs` build a variant of the env (the dataset keeps the plain env id).
    """
    env = make_env(env_id, **env_kwargs)
    try:
        dataset = DemoDataset.create(path, env_id=env_id, observation_space=env.observation_space,
                                     action_space=env.action_space, operator="scripted expert")
        expert = make_expert(env, seed=seed)
        session = PlaySession(env, env_id=env_id)
        for episode_seed in range(seed, seed + episodes):
            observation = session.reset(seed=episode_seed)
            expert.reset(seed=episode_seed)
            while not session.episode_over:
                outcome = session.step(expert.act(observation), actor="expert", device="script")
                observation = outcome.obs
            dataset.append(session.finish_episode(), tags=("expert",))
    finally:
        env.close()
    return dataset
