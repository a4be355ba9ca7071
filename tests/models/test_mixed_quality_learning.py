"""Acceptance (issue 11, mixed quality): on LunarLander demos of 3 expert and 6 noisy-expert
episodes (a random action half the time), weighting episodes by return beats uniform training.

Measured (seeds 0-2, 800 steps, 64x64, 8 evaluation episodes): uniform -32.6, -7.2, 7.0;
return_temperature 0.5: 90.3, 30.7, 90.1.
"""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.models.evaluation import evaluate
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from tests.models.scripted_demos import expert_demos

ENV_ID = "LunarLander-v3"
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    path = tmp_path_factory.mktemp("mixed-quality") / "lunar"
    dataset = expert_demos(path, ENV_ID, seeds=range(3), tags=("expert",))
    return expert_demos(path, ENV_ID, seeds=range(100, 106), noise=0.5, tags=("noisy",),
                        dataset=dataset)


def _clone_return(dataset: DemoDataset, seed: int, **weighting: float) -> float:
    config = TrainConfig(steps=800, hidden=(64, 64), seed=seed, device="cpu", log_every=800,
                         **weighting)
    policy = drain(train_bc(config, dataset)).policy
    return evaluate(policy, ENV_ID, episodes=8, seed=20_000 + 100 * seed).return_mean


def test_weighting_by_return_beats_uniform_training_on_mixed_demos(mixed: DemoDataset) -> None:
    uniform = np.array([_clone_return(mixed, seed) for seed in SEEDS])
    weighted = np.array([_clone_return(mixed, seed, return_temperature=0.5) for seed in SEEDS])
    assert np.all(weighted > uniform), (uniform, weighted)
    assert weighted.mean() - uniform.mean() > 40, (uniform, weighted)
