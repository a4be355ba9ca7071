"""Shared setup for the imitation side of the benchmarks: data loading and the BC trainer.

Runs in its own venv (/work/imitation-venv: imitation 1.0.1, gymnasium 0.29, SB3 2.2) because
imitation pins gymnasium ~0.29; it never imports CloneLab. Both sides read the same ``.npz``.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from imitation.algorithms import bc
from imitation.data import types
from imitation.util import logger as imit_logger
from stable_baselines3.common.policies import ActorCriticPolicy

# imitation 1.0.1 logs its loss with float() on a tensor that requires grad; torch warns on
# every log call. The warning is about imitation's code, not about the benchmark.
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True")

# The MLP both sides train: two hidden layers of 256 units with leaky_relu.
HIDDEN = [256, 256]


@dataclass(frozen=True, kw_only=True)
class Demos:
    """Transitions read from a benchmark ``.npz`` (written by bench/export.py)."""

    env_id: str
    observations: np.ndarray
    actions: np.ndarray
    episode_ids: np.ndarray


def load_demos(path: str) -> Demos:
    """Read the arrays both sides train on."""
    with np.load(path) as data:
        return Demos(
            env_id=str(data["env_id"]),
            observations=data["observations"].astype(np.float32),
            actions=data["actions"],
            episode_ids=data["episode_ids"],
        )


def as_transitions(demos: Demos) -> types.Transitions:
    """imitation's ``Transitions`` (its collate function needs ``next_obs`` and ``dones``).

    BC reads only ``obs`` and ``acts``; ``next_obs`` is the following row, which at an episode's
    last step belongs to the next episode, a value BC never looks at.
    """
    ids = demos.episode_ids
    dones = np.append(ids[1:] != ids[:-1], True)
    return types.Transitions(
        obs=demos.observations,
        acts=demos.actions,
        infos=np.array([{}] * len(ids)),
        next_obs=np.roll(demos.observations, -1, axis=0),
        dones=dones,
    )


def make_bc(
    demos: Demos, *, batch_size: int, lr: float, seed: int, policy: str = "same"
) -> bc.BC:
    """imitation's BC with the same 2x256 leaky_relu MLP as ours, or with its default policy.

    ``policy="same"``: the value head is a single linear layer (``vf=[]``) so that imitation
    does no more network work than we do (``net_arch=[256, 256]`` would add a second 2x256
    MLP). ``policy="default"``: imitation's own ``FeedForward32Policy`` (32x32 tanh MLPs).
    """
    torch.manual_seed(seed)
    env = gym.make(demos.env_id)
    obs_space, act_space = env.observation_space, env.action_space
    env.close()
    net = None
    if policy == "same":
        net = ActorCriticPolicy(
            observation_space=obs_space,
            action_space=act_space,
            lr_schedule=lambda _: lr,
            net_arch=dict(pi=HIDDEN, vf=[]),
            activation_fn=torch.nn.LeakyReLU,
        )
    elif policy != "default":
        raise ValueError(f"policy must be 'same' or 'default', got {policy!r}")
    transitions = as_transitions(demos)
    # No stdout/csv output: logging is not what is being measured.
    quiet = imit_logger.configure(tempfile.mkdtemp(prefix="imitation-bench-"), format_strs=[])
    logging.getLogger("imitation").setLevel(logging.WARNING)
    return bc.BC(
        observation_space=obs_space,
        action_space=act_space,
        rng=np.random.default_rng(seed),
        policy=net,
        demonstrations=transitions,
        batch_size=batch_size,
        optimizer_kwargs={"lr": lr},
        device="cpu",
        custom_logger=quiet,
    )
