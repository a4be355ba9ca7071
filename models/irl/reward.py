"""Reward networks for adversarial IRL, their files, and a learned reward along an episode.

Both discriminators output a logit that is high for expert transitions:

- AIRL (Fu et al. 2018): logit = f(s, a, s') - log pi(a | s), with f = g(s) + gamma h(s') - h(s).
  g is the state-only reward it recovers (the one shown and correlated); h is a shaping term
  that soaks up the value-like part, so g is less tied to the demonstrator's dynamics.
- GAIL (Ho & Ermon 2016): logit = D(s, a), a classifier of expert against policy pairs. Its
  "reward" is the logit, log D - log(1 - D): a reward for looking like the expert, not a
  reward the expert maximised, kept as the baseline it is.

A `RewardModel` keeps its observation normalisation (the demos' statistics) as buffers, like
a `Policy`, so a saved reward file scores raw observations by itself.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from clonelab.models.checkpoint import CheckpointError, read_weights_file, write_weights_file
from clonelab.models.data import observation_stats
from clonelab.models.policy import MIN_OBS_STD, action_kind, observation_kind
from clonelab.recorder.schema import row_shape, space_from_json, space_to_json

Method = Literal["airl", "gail"]
REWARD_FORMAT = "clonelab-reward"
REWARD_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Transitions:
    """Rows of (s, a, s', terminated): expert demos or the policy's own steps (numpy)."""

    observations: np.ndarray
    actions: np.ndarray
    next_observations: np.ndarray
    terminated: np.ndarray

    def __len__(self) -> int:
        return len(self.actions)

    def take(self, rows: np.ndarray) -> Transitions:
        """The chosen rows."""
        return Transitions(self.observations[rows], self.actions[rows],
                           self.next_observations[rows], self.terminated[rows])

    @staticmethod
    def concat(parts: list[Transitions]) -> Transitions:
        """All rows of `parts`, in order."""
        return Transitions(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                             ("observations", "actions", "next_observations", "terminated")))


class EpisodeLike(Protocol):
    """The parts of `recorder.dataset.EpisodeData` a reward trace reads."""

    @property
    def observations(self) -> Any: ...
    @property
    def actions(self) -> Any: ...
    @property
    def rewards(self) -> Any: ...
    @property
    def terminations(self) -> Any: ...


def episode_transitions(episode: EpisodeLike) -> Transitions:
    """An episode's T steps as transitions (observations has T+1 rows)."""
    observations = np.asarray(episode.observations)
    return Transitions(observations[:-1], np.asarray(episode.actions), observations[1:],
                       np.asarray(episode.terminations, dtype=bool))


@dataclass(frozen=True, kw_only=True, eq=False)
class RewardSpec:
    """What a reward network is built for; enough to rebuild it from its file's JSON."""

    method: Method
    env_id: str
    observation_space: gym.spaces.Box
    action_space: gym.spaces.Discrete | gym.spaces.Box
    hidden: tuple[int, ...] = (64, 64)
    gamma: float = 0.99
    """AIRL's shaping discount (the policy's discount)."""

    def __post_init__(self) -> None:
        if self.method not in ("airl", "gail"):
            raise ValueError(f"reward method must be 'airl' or 'gail', got {self.method!r}")
        if observation_kind(self.observation_space) != "vector":
            raise ValueError("adversarial IRL here takes vector observations, not images")
        action_kind(self.action_space)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "method": self.method,
            "env_id": self.env_id,
            "observation_space": json.loads(space_to_json(self.observation_space)),
            "action_space": json.loads(space_to_json(self.action_space)),
            "hidden": list(self.hidden),
            "gamma": self.gamma,
        }

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> RewardSpec:
        """Rebuild from `to_json()` output."""
        return cls(
            method=fields["method"],
            env_id=str(fields["env_id"]),
            observation_space=cast(gym.spaces.Box,
                                   space_from_json(json.dumps(fields["observation_space"]))),
            action_space=cast(gym.spaces.Discrete | gym.spaces.Box,
                              space_from_json(json.dumps(fields["action_space"]))),
            hidden=tuple(int(size) for size in fields["hidden"]),
            gamma=float(fields["gamma"]),
        )


def _mlp(in_features: int, hidden: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [nn.Linear(in_features, size), nn.LeakyReLU()]
        in_features = size
    return nn.Sequential(*layers, nn.Linear(in_features, 1))


class RewardModel(nn.Module):
    """A discriminator whose logit is high for expert transitions, and the reward it learns."""

    obs_mean: torch.Tensor
    obs_std: torch.Tensor

    def __init__(self, spec: RewardSpec) -> None:
        super().__init__()
        self.spec = spec
        obs_size = int(np.prod(row_shape(spec.observation_space)))  # a Dict: its flat vector
        self.register_buffer("obs_mean", torch.zeros(obs_size))
        self.register_buffer("obs_std", torch.ones(obs_size))
        space = spec.action_space
        if isinstance(space, gym.spaces.Discrete):
            self.action_size = int(space.n)
        else:
            self.action_size = int(np.prod(space.shape))
        if spec.method == "airl":
            self.g = _mlp(obs_size, spec.hidden)
            self.h = _mlp(obs_size, spec.hidden)
        else:
            self.d = _mlp(obs_size + self.action_size, spec.hidden)

    def set_observation_stats(self, observations: np.ndarray) -> None:
        """Normalise inputs with these (expert) observations' mean and std."""
        mean, std = observation_stats(observations)
        std = np.where(std < MIN_OBS_STD, 1.0, std)
        self.obs_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.obs_std.copy_(torch.as_tensor(std, dtype=torch.float32))

    def _norm(self, observations: torch.Tensor) -> torch.Tensor:
        x = observations.reshape(observations.shape[0], -1).float()
        return (x - self.obs_mean) / self.obs_std

    def _encode_actions(self, actions: torch.Tensor) -> torch.Tensor:
        space = self.spec.action_space
        if isinstance(space, gym.spaces.Discrete):
            index = actions.long().reshape(-1) - int(space.start)
            return F.one_hot(index, self.action_size).float()
        low = torch.as_tensor(space.low, dtype=torch.float32).reshape(-1)
        high = torch.as_tensor(space.high, dtype=torch.float32).reshape(-1)
        flat = actions.reshape(actions.shape[0], -1).float()
        return (flat - (high + low) / 2) / ((high - low) / 2)

    def logits(self, observations: torch.Tensor, actions: torch.Tensor,
               next_observations: torch.Tensor, terminated: torch.Tensor,
               log_pi: torch.Tensor | None = None) -> torch.Tensor:
        """The discriminator's expert-is-high logit per row (AIRL needs log pi(a|s))."""
        if self.spec.method == "gail":
            x = torch.cat([self._norm(observations), self._encode_actions(actions)], dim=1)
            return self.d(x).squeeze(-1)
        if log_pi is None:
            raise ValueError("AIRL's discriminator needs the policy's log pi(a|s)")
        s, s_next = self._norm(observations), self._norm(next_observations)
        alive = 1.0 - terminated.float()
        shaped = self.g(s) + self.spec.gamma * alive[:, None] * self.h(s_next) - self.h(s)
        return shaped.squeeze(-1) - log_pi

    def policy_reward(self, observations: torch.Tensor, actions: torch.Tensor,
                      next_observations: torch.Tensor, terminated: torch.Tensor,
                      log_pi: torch.Tensor | None = None) -> torch.Tensor:
        """What the policy is trained to maximise (as in HumanCompatibleAI's imitation).

        AIRL: the logit, f - log pi, an entropy-regularised f. GAIL: -log(1 - D), always
        positive, which rewards merely staying alive (its well-known survival bias).
        """
        logit = self.logits(observations, actions, next_observations, terminated, log_pi)
        return logit if self.spec.method == "airl" else F.softplus(logit)

    def reward(self, observations: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The learned reward per row: AIRL's g(s), GAIL's logit D(s, a)."""
        if self.spec.method == "airl":
            return self.g(self._norm(observations)).squeeze(-1)
        x = torch.cat([self._norm(observations), self._encode_actions(actions)], dim=1)
        return self.d(x).squeeze(-1)

    @torch.no_grad()
    def score(self, observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """`reward` on numpy rows, as float64 numpy."""
        obs = torch.as_tensor(np.asarray(observations), dtype=torch.float32)
        return self.reward(obs, torch.as_tensor(np.asarray(actions))).double().numpy()


@dataclass(frozen=True)
class RewardTrace:
    """The learned and the true reward at each step of one episode, for plotting together."""

    learned: np.ndarray
    """(T,) the learned reward r(s_t, a_t)."""
    true: np.ndarray
    """(T,) the env's reward at each step, as recorded or played."""


def reward_along_episode(model: RewardModel, episode: EpisodeLike) -> RewardTrace:
    """Score every step of a recorded (or just played) episode with the learned reward."""
    steps = episode_transitions(episode)
    learned = model.score(steps.observations, steps.actions)
    return RewardTrace(learned=learned, true=np.asarray(episode.rewards, dtype=np.float64))


def save_reward(path: str | os.PathLike[str], model: RewardModel) -> Path:
    """Write a reward network atomically (weights and JSON spec); returns the path."""
    config_json = json.dumps({"format_version": REWARD_FORMAT_VERSION,
                              "spec": model.spec.to_json()})
    return write_weights_file(Path(path), file_format=REWARD_FORMAT, config_json=config_json,
                              state_dict=model.state_dict(), what="reward")


def load_reward(path: str | os.PathLike[str]) -> RewardModel:
    """Rebuild a saved reward network on the CPU, in eval mode (never runs code from the file).

    Raises `models.checkpoint.CheckpointError` for a missing, damaged or foreign file.
    """
    path = Path(path)
    config_json, state_dict = read_weights_file(path, file_format=REWARD_FORMAT, what="reward")
    try:
        config = json.loads(config_json)
        if int(config["format_version"]) > REWARD_FORMAT_VERSION:
            raise CheckpointError(path, "reward format is newer than this CloneLab reads")
        model = RewardModel(RewardSpec.from_json(config["spec"]))
        model.load_state_dict(state_dict, strict=True)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CheckpointError(path, f"damaged reward file ({type(error).__name__}: {first})") \
            from error
    return model.eval()
