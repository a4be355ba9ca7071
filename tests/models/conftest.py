"""Shared fixtures of the models tests: small scripted-demo datasets built once per session."""

from __future__ import annotations

import pytest
import torch

from tests.models.fakes import FakeDataset, cartpole_controller, pendulum_pd, record

# The suite shares two busy cores: torch's default of one OpenMP thread per core then spins
# against the other processes, and ran a 32x32 MLP here 40 times slower than one thread did.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def cartpole_demos() -> FakeDataset:
    """Four 500-step CartPole episodes of the scripted controller."""
    return record("CartPole-v1", cartpole_controller, episodes=4, seed=0)


@pytest.fixture(scope="session")
def pendulum_demos() -> FakeDataset:
    """Eight 200-step Pendulum episodes of a PD controller (continuous actions)."""
    return record("Pendulum-v1", pendulum_pd, episodes=8, seed=0)
