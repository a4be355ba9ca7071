"""Policies: a torso (models/torsos.py) and a head: categorical for Discrete actions; for Box
actions the head `PolicySpec.head` names (Gaussian, mixture or discretised).

A policy keeps its observation normalisation and its action scaling as buffers, so both travel
in the checkpoint's state dict and a loaded policy acts exactly like the trained one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from clonelab.models.action_density import ActionDensity
from clonelab.models.heads import CategoricalHead, GaussianHead, HeadSpec
from clonelab.models.multimodal_heads import DiscretisedHead, MixtureHead
from clonelab.models.observations import ObservationPipeline, PipelineError
from clonelab.models.torsos import (
    CONV_PLANS,
    ConvTorso,
    MLPTorso,
    TorsoName,
    build_torso,
    check_torso,
    default_torso,
)
from clonelab.recorder.catalog import ObservationKind, observation_kind_of

ActionKind = Literal["discrete", "continuous"]
BoxHead = GaussianHead | MixtureHead | DiscretisedHead

DEFAULT_HIDDEN = (256, 256)
# Standard deviations below this count as a constant feature: centre it, do not blow it up.
MIN_OBS_STD = 1e-6


class UnsupportedSpaceError(ValueError):
    """The env's observation or action space is one no CloneLab policy handles."""


def observation_kind(space: gym.Space) -> ObservationKind:
    """"image" for a (H, W, C) uint8 Box, "vector" for any other Box (the catalog's rule)."""
    try:
        return observation_kind_of(space)
    except ValueError as error:
        raise UnsupportedSpaceError(f"observation space not supported: {error}") from None


def action_kind(space: gym.Space) -> ActionKind:
    """"discrete" for Discrete, "continuous" for a float Box."""
    if isinstance(space, gym.spaces.Discrete):
        return "discrete"
    if isinstance(space, gym.spaces.Box) and np.issubdtype(space.dtype, np.floating):
        return "continuous"
    raise UnsupportedSpaceError(
        f"action space {space} is not supported: policies output Discrete or float Box actions"
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class PolicySpec:
    """What a policy is built for and how; enough to rebuild it from a checkpoint's JSON."""

    env_id: str
    """The gymnasium id the policy acts in."""
    observation_space: gym.spaces.Box
    """The env's observation space (a vector Box, or a (H, W, C) uint8 image Box)."""
    action_space: gym.spaces.Discrete | gym.spaces.Box
    """The env's action space (Discrete, or a float Box)."""
    hidden: tuple[int, ...] = DEFAULT_HIDDEN
    """Sizes of the fully connected hidden layers (after the convolutions for images)."""
    torso: TorsoName | None = None
    """The torso (models/torsos.py); None picks by the observation: "mlp" for vectors, "dqn"
    for frames it fits, "cnn" for smaller ones. Checkpoints name theirs."""
    pipeline: ObservationPipeline = ObservationPipeline()
    """What raw observations go through before the torso (models/observations.py): crop,
    resize, grey, history. The identity by default and for older checkpoints."""
    head: HeadSpec = HeadSpec()
    """The head for Box actions (models/heads.py); the Gaussian by default and for older
    checkpoints. Discrete actions always get the categorical head."""

    def __post_init__(self) -> None:
        observation_kind(self.observation_space)
        _check_head(self.head, self.action_space, self.env_id)
        if not self.hidden or any(int(size) <= 0 for size in self.hidden):
            raise ValueError(f"hidden layer sizes must be positive, got {self.hidden}")
        try:
            self.pipeline.frame_shape(self.observation_space)
        except PipelineError as error:
            raise ValueError(f"preprocessing does not fit {self.env_id}: {error}") from None
        check_torso(self.torso_name, self._image_shape)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """What the torso reads per step: the pipeline's output (history stacked)."""
        return self.pipeline.input_shape(self.observation_space)

    @property
    def _image_shape(self) -> tuple[int, ...] | None:
        return self.input_shape if self.observation_kind == "image" else None

    @property
    def torso_name(self) -> TorsoName:
        """The torso this spec builds: `torso`, or the default for the observation."""
        return self.torso if self.torso is not None else default_torso(self._image_shape)

    @property
    def observation_kind(self) -> ObservationKind:
        """"vector" or "image"."""
        return observation_kind(self.observation_space)

    @property
    def action_kind(self) -> ActionKind:
        """"discrete" or "continuous"."""
        return action_kind(self.action_space)

    @property
    def action_size(self) -> int:
        """The number of actions (Discrete) or of action dimensions (Box)."""
        if isinstance(self.action_space, gym.spaces.Discrete):
            return int(self.action_space.n)
        return math.prod(self.action_space.shape)

    def architecture(self) -> dict[str, object]:
        """A readable summary of the network, for the checkpoint JSON and the app."""
        plan = CONV_PLANS.get(self.torso_name, ())
        return {
            "torso": self.torso_name,
            "conv_channels": [layer[0] for layer in plan],
            "hidden": list(self.hidden),
            "activation": "leaky_relu",
            **({"head": "categorical"} if self.action_kind == "discrete"
               else self.head.architecture()),
        }


def _check_head(head: HeadSpec, space: gym.Space, env_id: str) -> None:
    """Refuse a head that does not fit the action space, in one line."""
    if action_kind(space) == "discrete":
        if head.kind != "gaussian":
            raise UnsupportedSpaceError(
                f"the {head.kind} head is for continuous actions; {env_id or 'this env'}'s are "
                f"Discrete, and their categorical head already gives every action its own "
                f"probability, several good ones included: leave the head at gaussian")
    elif head.kind == "discretised":
        bounded = np.isfinite(space.low) & np.isfinite(space.high)  # type: ignore[attr-defined]
        if not bounded.all():
            raise UnsupportedSpaceError(
                f"the discretised head needs finite action bounds to place its bins; "
                f"{env_id or 'this env'}'s action space {space} has unbounded dimensions: "
                f"choose the gaussian or mixture head")


def _box_head(head: HeadSpec, in_features: int, dim: int) -> BoxHead:
    if head.kind == "mixture":
        return MixtureHead(in_features, dim, head.components)
    if head.kind == "discretised":
        return DiscretisedHead(in_features, dim, head.bins)
    return GaussianHead(in_features, dim)


class Policy(nn.Module):
    """A BC policy: preprocess -> torso -> head, with env-unit actions in and out."""

    # Buffers (registered in __init__ for the spaces that need them).
    obs_mean: torch.Tensor
    obs_std: torch.Tensor
    action_center: torch.Tensor
    action_half_range: torch.Tensor
    action_low: torch.Tensor
    action_high: torch.Tensor

    def __init__(self, spec: PolicySpec) -> None:
        super().__init__()
        self.spec = spec
        self.action_shape: tuple[int, ...] = tuple(spec.action_space.shape or ())
        obs_shape = spec.input_shape
        if spec.observation_kind == "vector":
            obs_size = math.prod(obs_shape)
            self.register_buffer("obs_mean", torch.zeros(obs_size))
            self.register_buffer("obs_std", torch.ones(obs_size))
        self.torso: MLPTorso | ConvTorso = build_torso(spec.torso_name, obs_shape, spec.hidden)
        self.head: CategoricalHead | BoxHead
        if isinstance(spec.action_space, gym.spaces.Discrete):
            self.action_start = int(spec.action_space.start)
            self.head = CategoricalHead(self.torso.out_features, spec.action_size)
        else:
            low = np.asarray(spec.action_space.low, dtype=np.float64).reshape(-1)
            high = np.asarray(spec.action_space.high, dtype=np.float64).reshape(-1)
            # Scale each dimension with finite bounds to [-1, 1]; leave unbounded ones as is.
            finite = np.isfinite(low) & np.isfinite(high)
            low_f, high_f = np.where(finite, low, -1.0), np.where(finite, high, 1.0)
            center, half_range = (high_f + low_f) / 2.0, (high_f - low_f) / 2.0
            half_range = np.where(half_range > 0, half_range, 1.0)  # a fixed dimension
            self.register_buffer("action_center", torch.as_tensor(center, dtype=torch.float32))
            self.register_buffer("action_half_range", torch.as_tensor(half_range).float())
            self.register_buffer("action_low", torch.as_tensor(low, dtype=torch.float32))
            self.register_buffer("action_high", torch.as_tensor(high, dtype=torch.float32))
            self.head = _box_head(spec.head, self.torso.out_features, spec.action_size)

    @property
    def device(self) -> torch.device:
        """Where the weights live."""
        return next(self.parameters()).device

    def set_observation_stats(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Store the dataset's per-feature mean and std (vector observations only)."""
        if self.spec.observation_kind == "image":
            raise ValueError("image observations are scaled by 1/255, not by dataset statistics")
        std = np.where(np.asarray(std) < MIN_OBS_STD, 1.0, std)
        self.obs_mean.copy_(torch.as_tensor(np.reshape(mean, -1), dtype=torch.float32))
        self.obs_std.copy_(torch.as_tensor(np.reshape(std, -1), dtype=torch.float32))

    def set_frame_mean(self, mean: np.ndarray) -> None:
        """Store the training frames' mean, one preprocessed frame (h, w, c) in 0-255 units
        (image observations only); the torso takes it off every frame of its input."""
        if not isinstance(self.torso, ConvTorso):
            raise ValueError("vector observations are normalised by set_observation_stats")
        step = torch.as_tensor(np.asarray(mean), dtype=torch.float32) / 255.0
        history = self.spec.pipeline.history
        self.torso.frame_mean.copy_(step.repeat(1, 1, history))

    def as_tensor(self, observations: np.ndarray | torch.Tensor) -> torch.Tensor:
        """A batch of raw observations as a tensor on the policy's device."""
        return torch.as_tensor(np.asarray(observations), device=self.device)

    def normalise(self, observations: torch.Tensor) -> torch.Tensor:
        """What the torso reads from a (B, *spec.input_shape) batch of inputs (raw observations
        through the spec's pipeline): vectors flattened, centred and scaled by the dataset's
        statistics; image frames as they are (image torsos scale their uint8 frames)."""
        if self.spec.observation_kind == "image":
            return observations
        x = observations.reshape(observations.shape[0], -1).float()
        return (x - self.obs_mean) / self.obs_std

    def features(self, observations: torch.Tensor, *, normalised: bool = False) -> torch.Tensor:
        """The torso's output for a batch of inputs, normalised here unless `normalised` says
        they went through `normalise` already (training normalises its rows once)."""
        return self.torso(observations if normalised else self.normalise(observations))

    def targets(self, actions: torch.Tensor) -> torch.Tensor:
        """Env actions -> what the head is trained on: indices from 0, or Box scaled to [-1, 1]."""
        if self.spec.action_kind == "discrete":
            return actions.long().reshape(-1) - self.action_start
        # The action size, not -1: an empty batch (no validation split) has no size to infer.
        flat = actions.reshape(actions.shape[0], self.spec.action_size).float()
        return (flat - self.action_center) / self.action_half_range

    def to_env_units(self, head_actions: torch.Tensor) -> torch.Tensor:
        """Head outputs -> env actions: shifted indices, or unscaled and clipped Box actions."""
        if self.spec.action_kind == "discrete":
            return head_actions + self.action_start
        unscaled = head_actions * self.action_half_range + self.action_center
        clipped = torch.clamp(unscaled, self.action_low, self.action_high)
        return clipped.reshape(-1, *self.action_shape)

    def loss(self, observations: torch.Tensor, targets: torch.Tensor, *,
             normalised: bool = False) -> torch.Tensor:
        """The BC loss, -log pi(a* | s) averaged over the batch; `targets` from `targets()`;
        `normalised` as for `features`."""
        return self.head.nll(self.features(observations, normalised=normalised), targets)

    def act(
        self,
        observations: torch.Tensor,
        *,
        deterministic: bool = True,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """A batch of env actions: the head's mode when deterministic (argmax, mu, the most
        likely component's mean, the most likely bin's centre), else a sample."""
        features = self.features(observations)
        if deterministic:
            return self.to_env_units(self.head.mode(features))
        return self.to_env_units(self.head.sample(features, generator))

    def action_probabilities(self, observations: torch.Tensor) -> torch.Tensor:
        """(B, n) action probabilities of a categorical policy."""
        if not isinstance(self.head, CategoricalHead):
            raise TypeError("action_probabilities needs a Discrete-action policy")
        return F.softmax(self.head(self.features(observations)), dim=-1)

    def action_density(self, observations: torch.Tensor) -> ActionDensity:
        """The action distribution of a Box-action policy, whatever its head, in env units
        (flat (B, D) actions; not clipped to the bounds): a `MixtureDensity` (Gaussian and
        mixture heads) or a `BinDensity` (discretised head)."""
        if isinstance(self.head, CategoricalHead):
            raise TypeError("action_density needs a Box-action policy")
        density = self.head.density(self.features(observations))
        return density.affine(self.action_half_range, self.action_center)

    def action_gaussian(self, observations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, sigma) of a Gaussian-head policy in env units (mu unscaled but not clipped)."""
        if not isinstance(self.head, GaussianHead):
            raise TypeError("action_gaussian needs a Box-action policy with a Gaussian head")
        mu, log_sigma = self.head(self.features(observations))
        shape = (-1, *self.action_shape)
        mu_env = mu * self.action_half_range + self.action_center
        sigma_env = torch.exp(log_sigma) * self.action_half_range
        return mu_env.reshape(shape), sigma_env.reshape(shape)
