"""Two equally good actions: the Gaussian clone averages them, the mixture and the discretised
clones keep them apart."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode

MODES = (-0.8, 0.8)


def bimodal_demos() -> FakeDataset:
    """Actions that do not depend on the state: half at -0.8, half at +0.8."""
    rng = np.random.default_rng(0)
    episodes = []
    for _ in range(8):
        observations = rng.normal(size=(51, 3)).astype(np.float32)
        actions = rng.choice(np.array(MODES, np.float32), size=(50, 1))
        episodes.append(FakeEpisode(observations, actions, np.zeros(50, np.float32)))
    return FakeDataset("Bimodal-v0", gym.spaces.Box(-np.inf, np.inf, (3,), np.float32),
                       gym.spaces.Box(-1.0, 1.0, (1,), np.float32), episodes)


@pytest.fixture(scope="module")
def clones() -> dict[str, torch.nn.Module]:
    demos = bimodal_demos()
    trained = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for head in ("gaussian", "mixture", "discretised"):
            config = TrainConfig(steps=400, hidden=(32,), head=head, val_fraction=0.0,
                                 log_every=100, device="cpu", seed=0)
            trained[head] = drain(train_bc(config, demos)).policy
    finally:
        torch.set_num_threads(threads)
    return trained


def states() -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(1).normal(size=(200, 3)).astype(np.float32))


def test_the_gaussian_clone_acts_between_the_modes(clones) -> None:
    actions = clones["gaussian"].act(states()).reshape(-1)
    assert abs(actions.mean().item()) < 0.1  # between the modes, on average at their middle
    assert actions.abs().max().item() < 0.5  # and in every state far from both: no demo's action


@pytest.mark.parametrize("head", ["mixture", "discretised"])
def test_multimodal_clones_act_on_a_mode_and_sample_both(clones, head: str) -> None:
    clone, observations = clones[head], states()
    bin_width = 2.0 / 21
    actions = clone.act(observations).reshape(-1)
    assert (actions.abs() - 0.8).abs().max().item() < bin_width  # on a mode, every state
    draws = clone.act(observations, deterministic=False,
                      generator=torch.Generator().manual_seed(0)).reshape(-1)
    for mode in MODES:
        near = (draws - mode).abs().lt(0.2).float().mean().item()
        assert 0.3 < near < 0.7, (mode, near)  # about half the mass on each way
