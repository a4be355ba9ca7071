"""Torsos: the part of a policy between the raw observation and the head.

"mlp" reads normalised vectors; "dqn" (the Nature DQN convolutions) reads frames of
`DQN_MIN_SIDE` pixels a side or more, such as Atari's preprocessed 84x84 stacks; "cnn" (three
stride-2 3x3 convolutions, CloneLab's first image torso) reads frames of any size, so it takes
small grid worlds and keeps the checkpoints trained with it loading.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

TorsoName = Literal["mlp", "cnn", "dqn"]
TORSO_NAMES: tuple[TorsoName, ...] = ("mlp", "cnn", "dqn")

# (out channels, kernel, stride, padding) per convolution.
ConvPlan = tuple[tuple[int, int, int, int], ...]
CONV_PLANS: dict[str, ConvPlan] = {
    # Mnih et al. 2015: 32 8x8/4, 64 4x4/2, 64 3x3/1, no padding.
    "dqn": ((32, 8, 4, 0), (64, 4, 2, 0), (64, 3, 1, 0)),
    # Padding 1 and stride 2 halve each side per layer: any frame of 1 pixel or more fits.
    "cnn": ((32, 3, 2, 1), (64, 3, 2, 1), (64, 3, 2, 1)),
}
# The smallest side the DQN convolutions leave a pixel of (36 -> 8 -> 3 -> 1).
DQN_MIN_SIDE = 36


def default_torso(image_shape: tuple[int, ...] | None) -> TorsoName:
    """The torso for an observation: "mlp" for vectors (None), else "dqn" for frames that fit
    its kernels, "cnn" for smaller ones (MiniGrid's 40x40 rooms start at 5x5 tiles of 8)."""
    if image_shape is None:
        return "mlp"
    return "dqn" if min(image_shape[:2]) >= DQN_MIN_SIDE else "cnn"


def check_torso(name: str, image_shape: tuple[int, ...] | None) -> None:
    """Raise ValueError, saying what fits, when torso `name` cannot read this observation."""
    if name not in TORSO_NAMES:
        raise ValueError(f"unknown torso {name!r}; choose one of {', '.join(TORSO_NAMES)}")
    if image_shape is None and name != "mlp":
        raise ValueError(f"torso {name!r} reads image frames; vector observations take 'mlp'")
    if image_shape is not None and name == "mlp":
        raise ValueError("torso 'mlp' reads vectors; image frames take 'dqn' or 'cnn'")
    if name == "dqn" and image_shape is not None and min(image_shape[:2]) < DQN_MIN_SIDE:
        raise ValueError(f"torso 'dqn' needs frames of at least {DQN_MIN_SIDE}x{DQN_MIN_SIDE} "
                         f"pixels, these are {image_shape[0]}x{image_shape[1]}; use 'cnn'")


def mlp(in_features: int, hidden: tuple[int, ...]) -> nn.Sequential:
    """Linear + leaky_relu per hidden size.

    The activation overwrites the Linear's output, which nothing else keeps (its backward
    reads its input): no second (B, size) tensor, the same values and gradients
    (tests/models/test_torsos.py), 0.6% of a CartPole step."""
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [nn.Linear(in_features, size), nn.LeakyReLU(inplace=True)]
        in_features = size
    return nn.Sequential(*layers)


class MLPTorso(nn.Module):
    """Fully connected layers with leaky_relu over a flat, normalised observation."""

    def __init__(self, in_features: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.layers = mlp(in_features, hidden)
        self.out_features = hidden[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_features) -> (B, out_features)."""
        return self.layers(x)


class ConvTorso(nn.Module):
    """Convolutions (a `CONV_PLANS` entry) then the MLP layers, over raw (B, H, W, C) frames.

    Frames arrive as uint8 and become floats in [0, 1] here, centred on the training frames'
    mean (`frame_mean`), on whatever device the batch is, so datasets and batches stay four
    times smaller until the last moment. The (B, H, W, C) batch seen as (B, C, H, W) is
    channels-last in memory, and so are the convolution weights: on the CPU that trained the
    DQN torso 1.4x faster than contiguous NCHW (docs/benchmarks.md).
    """

    frame_mean: torch.Tensor

    def __init__(self, plan: ConvPlan, image_shape: tuple[int, ...],
                 hidden: tuple[int, ...]) -> None:
        super().__init__()
        height, width, channels = image_shape
        # The training frames' mean, in [0, 1], taken off every input: what stays still in a
        # game (Pong's court) becomes 0 and what moves (a 1-pixel ball) stands out. Pong's
        # clone left the majority action's plateau in 250 steps with it, in 1,750+ without
        # (docs/benchmarks.md section 11). Zeros (no centring) load older checkpoints.
        self.register_buffer("frame_mean", torch.zeros(height, width, channels))
        convs: list[nn.Module] = []
        for out_channels, kernel, stride, padding in plan:
            convs += [nn.Conv2d(channels, out_channels, kernel, stride=stride, padding=padding),
                      nn.LeakyReLU(inplace=True)]
            channels = out_channels
        # Attribute names convs and fc are the state-dict keys of saved "cnn" checkpoints.
        self.convs = nn.Sequential(*convs, nn.Flatten())
        self.convs.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        with torch.no_grad():
            flat = self.convs(torch.zeros(1, image_shape[2], height, width)).shape[1]
        self.fc = mlp(flat, hidden)
        self.out_features = hidden[-1]

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) frames, uint8 0-255 -> (B, out_features)."""
        # A copy even of float frames (`.float()` would return them as they are): the
        # in-place scaling and centring must never reach the caller's tensor.
        x = frames.to(torch.float32, copy=True).mul_(1.0 / 255.0).sub_(self.frame_mean)
        return self.fc(self.convs(x.permute(0, 3, 1, 2)))


def build_torso(name: TorsoName, observation_shape: tuple[int, ...],
                hidden: tuple[int, ...]) -> MLPTorso | ConvTorso:
    """The torso called `name` for observations of `observation_shape` (checked first)."""
    image = None if name == "mlp" else observation_shape
    check_torso(name, image)
    if name == "mlp":
        size = 1
        for side in observation_shape:
            size *= int(side)
        return MLPTorso(size, hidden)
    return ConvTorso(CONV_PLANS[name], observation_shape, hidden)
