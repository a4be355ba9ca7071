"""Synthetic demo episodes for the dataset tests, and a writer process for the crash test.

Run as a script, it prints ``opening`` before it opens (or creates) the dataset, then appends
episodes to it in a loop and prints ``committing <seed>`` before each commit and
``committed <id> <seed>`` after it (flushed), until it is killed:

    python tests/recorder/crash_writer.py <dataset-dir> <first-seed>
"""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode import EpisodeData

VECTOR_SPACE = gym.spaces.Box(-10.0, 10.0, (4,), np.float32)
DISCRETE_ACTIONS = gym.spaces.Discrete(3)
IMAGE_SPACE = gym.spaces.Box(0, 255, (48, 48, 3), np.uint8)
BOX_ACTIONS = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
CRASH_ENV_ID = "CrashTest-v0"


def synthetic_episode(seed: int, steps: int, observation_space: gym.Space = VECTOR_SPACE,
                      action_space: gym.Space = DISCRETE_ACTIONS) -> EpisodeData:
    """A reproducible episode: the same seed always gives the same arrays."""
    rng = np.random.default_rng(seed)
    shape = (steps + 1, *observation_space.shape)
    if observation_space.dtype == np.uint8:
        observations = rng.integers(0, 256, shape, dtype=np.uint8)
    else:
        observations = rng.uniform(-1, 1, shape).astype(observation_space.dtype)
    if isinstance(action_space, gym.spaces.Discrete):
        actions = rng.integers(0, action_space.n, steps).astype(np.int64)
    else:
        actions = rng.uniform(-1, 1, (steps, *action_space.shape)).astype(action_space.dtype)
    terminations = np.zeros(steps, bool)
    terminations[-1] = True
    humans = rng.random(steps) < 0.5
    return EpisodeData(
        observations=observations,
        actions=actions,
        rewards=rng.normal(size=steps),
        terminations=terminations,
        truncations=np.zeros(steps, bool),
        timestamps=1.7e9 + seed + np.arange(steps + 1) / 50.0,
        actors=tuple("human" if h else "expert" for h in humans),
        devices=tuple("keyboard" if h else "script" for h in humans),
        seed=seed,
        options={"level": seed % 7},
        fps=50.0,
    )


def synthetic_dataset(path: Path, *, episodes: int, steps: int) -> DemoDataset:
    """A "Synthetic-v0" dataset at `path` with `episodes` synthetic episodes of `steps` steps."""
    dataset = DemoDataset.create(path, env_id="Synthetic-v0", observation_space=VECTOR_SPACE,
                                 action_space=DISCRETE_ACTIONS)
    for seed in range(episodes):
        dataset.append(synthetic_episode(seed, steps))
    dataset.close()  # Minari's index files as a finished recording leaves them
    return dataset


def crash_episode(seed: int, observation_space: gym.Space = IMAGE_SPACE) -> EpisodeData:
    """Mostly short episodes; every third one is big enough that a kill lands mid-commit."""
    steps = 900 if seed % 3 == 2 else 3 + seed % 5
    return synthetic_episode(seed, steps, observation_space, DISCRETE_ACTIONS)


def main(argv: list[str]) -> None:
    path, seed = Path(argv[1]), int(argv[2])
    print("opening", flush=True)
    if path.exists():
        dataset = DemoDataset.open(path, env_id=CRASH_ENV_ID)
    else:
        dataset = DemoDataset.create(path, env_id=CRASH_ENV_ID, observation_space=IMAGE_SPACE,
                                     action_space=DISCRETE_ACTIONS)
    while True:
        print(f"committing {seed}", flush=True)
        episode_id = dataset.append(crash_episode(seed, dataset.observation_space))
        print(f"committed {episode_id} {seed}", flush=True)
        seed += 1


if __name__ == "__main__":
    main(sys.argv)
