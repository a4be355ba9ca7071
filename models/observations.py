"""The observation pipeline a policy carries: crop, resize, greyscale, and a k-step history.

The dataset keeps the frames exactly as recorded; the policy's `ObservationPipeline` (in its
`PolicySpec` and its checkpoint) turns them into what its network reads, so training, Watch,
Compare, Takeover, DAgger and `clonelab eval` all see the same input. Frames are preprocessed
once (to uint8) and stacked along the channel axis, oldest first: k frames of (h, w, c) make
one (h, w, k*c) input; k vectors of d features make one (k*d,) input. Within an episode the
first steps repeat its first observation, as `ObservationHistory` does at play time.

There is no frame skip: ALE v5 envs already step 4 frames per action, and repeating a
policy's action in envs without a skip would make it act on other steps than it was trained on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F

from clonelab.recorder.catalog import observation_kind_of
from clonelab.recorder.dict_observations import flatten_batch
from clonelab.recorder.schema import row_shape

__all__ = [
    "ObservationHistory",
    "ObservationPipeline",
    "PipelineError",
    "default_pipeline",
    "episode_inputs",
    "episode_inputs_in_chunks",
    "first_rows",
    "preprocess_frames",
    "replace_fields",
    "stack_index",
    "stacked",
]

# ITU-R BT.601 luma, the weights Atari preprocessing (OpenCV's RGB2GRAY) uses.
_LUMA = (0.299, 0.587, 0.114)
# Frames preprocessed per torch call when a dataset is converted (bounded memory).
_CHUNK = 512


class PipelineError(ValueError):
    """A pipeline that does not fit the observations it is given; the message says why."""


@dataclass(frozen=True, kw_only=True)
class ObservationPipeline:
    """What a policy does to raw observations before its network: one frozen, JSON-able value.

    The identity (the default) is what checkpoints written before the pipeline existed load
    with.
    """

    crop: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Pixels cut from the (top, bottom, left, right) of each frame (images only)."""
    size: tuple[int, int] | None = None
    """(height, width) frames are resized to after cropping; None keeps their size."""
    grey: bool = False
    """Turn RGB frames into one luma channel."""
    history: int = 1
    """Observations the policy reads at once: the current one and the history - 1 before it."""

    def __post_init__(self) -> None:
        if len(self.crop) != 4 or any(not _whole(v) or v < 0 for v in self.crop):
            raise PipelineError(f"crop takes 4 whole numbers of pixels >= 0 (top, bottom, "
                                f"left, right), got {self.crop!r}")
        if self.size is not None and (len(self.size) != 2
                                      or any(not _whole(v) or v <= 0 for v in self.size)):
            raise PipelineError(f"frame size takes 2 positive whole numbers (height, width), "
                                f"got {self.size!r}")
        if not _whole(self.history) or self.history < 1:
            raise PipelineError(f"history must be a whole number of observations >= 1, "
                                f"got {self.history!r}")

    @property
    def changes_frames(self) -> bool:
        """Whether frames are cropped, resized or made grey (not only stacked)."""
        return self.crop != (0, 0, 0, 0) or self.size is not None or self.grey

    def frame_shape(self, space: gym.Space) -> tuple[int, ...]:
        """The shape of one preprocessed observation of `space`; PipelineError when the
        pipeline cannot read it (a crop larger than the frame, image options on vectors).
        A Dict observation is one flat vector of its keys (recorder.dict_observations)."""
        shape = tuple(int(side) for side in row_shape(space))
        if observation_kind_of(space) == "vector":
            if self.changes_frames:
                raise PipelineError("crop, frame size and grey apply to image frames; these "
                                    f"observations are vectors of shape {shape}")
            return (int(np.prod(shape)),)
        height, width, channels = shape
        top, bottom, left, right = self.crop
        height, width = height - top - bottom, width - left - right
        if height <= 0 or width <= 0:
            raise PipelineError(f"crop {self.crop} leaves nothing of {shape[0]}x{shape[1]} "
                                "frames")
        if self.size is not None:
            height, width = self.size
        return (height, width, 1 if self.grey and channels == 3 else channels)

    def input_shape(self, space: gym.Space) -> tuple[int, ...]:
        """What the network reads per step: (h, w, history*c) frames or (history*d,) vectors."""
        frame = self.frame_shape(space)
        if len(frame) == 1:
            return (frame[0] * self.history,)
        return (frame[0], frame[1], frame[2] * self.history)

    def preprocess(self, observations: torch.Tensor) -> torch.Tensor:
        """(N, H, W, C) uint8 frames -> (N, h, w, c) uint8; vectors -> (N, d) float32."""
        if observations.dtype != torch.uint8 or observations.dim() != 4:
            return observations.reshape(len(observations), -1).float()
        if not self.changes_frames:
            return observations
        top, bottom, left, right = self.crop
        x: torch.Tensor = observations[:, top : observations.shape[1] - bottom,
                                       left : observations.shape[2] - right]
        if self.grey and x.shape[-1] == 3:
            luma = torch.tensor(_LUMA, device=x.device)
            x = (x.float() * luma).sum(dim=-1, keepdim=True)
        if self.size is not None and tuple(x.shape[1:3]) != self.size:
            shrink = self.size[0] <= x.shape[1] and self.size[1] <= x.shape[2]
            # "area" averages the pixels each output pixel covers (thin Atari balls survive);
            # growing a frame interpolates instead.
            x = F.interpolate(x.permute(0, 3, 1, 2).float(), size=self.size,
                              mode="area" if shrink else "bilinear", align_corners=None)
            x = x.permute(0, 2, 3, 1)
        if x.dtype != torch.uint8:
            x = x.round().clamp(0, 255).to(torch.uint8)
        return x.contiguous()

    def describe(self) -> str:
        """One line for people: '84x84, grey, history 4' or 'as recorded, history 1'."""
        parts = [] if self.changes_frames else ["as recorded"]
        if self.crop != (0, 0, 0, 0):
            parts.append("crop " + ",".join(map(str, self.crop)))
        if self.size is not None:
            parts.append(f"{self.size[0]}x{self.size[1]}")
        if self.grey:
            parts.append("grey")
        parts.append(f"history {self.history}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (tuples as lists)."""
        return {"crop": list(self.crop), "size": None if self.size is None else list(self.size),
                "grey": self.grey, "history": self.history}

    @classmethod
    def from_dict(cls, fields: dict[str, Any] | None) -> ObservationPipeline:
        """Rebuild from `to_dict()`; None or {} (an older checkpoint) is the identity."""
        fields = dict(fields or {})
        if "crop" in fields:
            fields["crop"] = tuple(fields["crop"])
        if fields.get("size") is not None:
            fields["size"] = tuple(fields["size"])
        return cls(**fields)


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def default_pipeline(env_id: str, space: gym.Space) -> ObservationPipeline:
    """The pipeline a new policy for `env_id` gets unless the training config says otherwise.

    - Atari (ALE/...): 84x84 grey, 4 frames, as in the DQN literature (Mnih et al. 2015); the
      4-frame stack shows where the ball is going.
    - CarRacing: the whole 96x96 frame resized to 64x64, in colour (grass, road and kerbs
      differ by hue), 2 frames for the car's motion. The gauges at the bottom stay: they show
      the speed, ABS and steering that a person reads while driving.
    - Other image envs (MiniGrid's small rooms): the frames as recorded, 1 frame.
    - Vectors: no history (1); a longer one is an option (`TrainConfig.history`).
    """
    if observation_kind_of(space) == "vector":
        return ObservationPipeline()
    if env_id.startswith("ALE/"):
        return ObservationPipeline(size=(84, 84), grey=True, history=4)
    if env_id.startswith("CarRacing"):
        return ObservationPipeline(size=(64, 64), history=2)
    return ObservationPipeline()


def preprocess_frames(pipeline: ObservationPipeline, observations: np.ndarray) -> np.ndarray:
    """`pipeline.preprocess` over a whole array, a chunk at a time (uint8 frames stay uint8,
    vectors become float32)."""
    if observations.dtype != np.uint8 or observations.ndim != 4:
        return observations.reshape(len(observations), -1).astype(np.float32, copy=False)
    if not pipeline.changes_frames:
        return observations
    parts = [pipeline.preprocess(torch.from_numpy(np.ascontiguousarray(
        observations[start : start + _CHUNK]))).numpy()
        for start in range(0, len(observations), _CHUNK)]
    return np.concatenate(parts) if parts else observations


def first_rows(episode_ids: np.ndarray) -> np.ndarray:
    """For each row, the row of its episode's first step (rows of an episode are contiguous)."""
    ids = np.asarray(episode_ids)
    starts = np.ones(len(ids), dtype=bool)
    starts[1:] = ids[1:] != ids[:-1]
    return np.maximum.accumulate(np.where(starts, np.arange(len(ids)), 0))


def stack_index(rows: torch.Tensor, first: torch.Tensor, history: int) -> torch.Tensor:
    """(B * history,) row indices of steps t-history+1 .. t for each row t, clipped at the
    episode's first row `first[t]` (so an episode's first steps repeat its first frame)."""
    back = torch.arange(history - 1, -1, -1, device=rows.device)
    wanted = rows.unsqueeze(1) - back
    return torch.maximum(wanted, first[rows].unsqueeze(1)).reshape(-1)


def stacked(frames: torch.Tensor, history: int) -> torch.Tensor:
    """(B * history, *frame) preprocessed steps, oldest first per row -> (B, *input): frames
    side by side on the channel axis, vectors end to end."""
    grouped = frames.reshape(-1, history, *frames.shape[1:])
    if grouped.dim() == 5:  # (B, k, h, w, c) -> (B, h, w, k * c)
        b, k, h, w, c = grouped.shape
        return grouped.permute(0, 2, 3, 1, 4).reshape(b, h, w, k * c)
    return grouped.reshape(len(grouped), -1)


def episode_inputs(pipeline: ObservationPipeline, observations: np.ndarray,
                   episode_ids: np.ndarray | None = None) -> torch.Tensor:
    """The network inputs for recorded steps (one episode, or contiguous episodes by
    `episode_ids`), exactly as play builds them."""
    frames = torch.as_tensor(preprocess_frames(pipeline, np.asarray(observations)))
    ids = np.zeros(len(frames)) if episode_ids is None else np.asarray(episode_ids)
    first = torch.as_tensor(first_rows(ids))
    index = stack_index(torch.arange(len(frames)), first, pipeline.history)
    return stacked(frames[index], pipeline.history)


def episode_inputs_in_chunks(pipeline: ObservationPipeline, chunks: Iterable[Any]
                             ) -> Iterator[torch.Tensor]:
    """`episode_inputs` of one episode whose observations arrive a chunk of rows at a time:
    the inputs of each chunk, as the whole episode's would be, holding only that chunk and
    the last `history - 1` preprocessed frames (a recorded Atari episode is never whole)."""
    back = pipeline.history - 1
    past: torch.Tensor | None = None
    for chunk in chunks:
        frames = torch.as_tensor(preprocess_frames(pipeline, np.asarray(chunk)))
        if not len(frames):
            continue
        if past is None:  # the episode's first steps repeat its first frame
            past = frames[:1].expand(back, *frames.shape[1:])
        rows = torch.cat([past, frames])
        index = stack_index(torch.arange(back, len(rows)), torch.zeros(len(rows), dtype=torch.long),
                            pipeline.history)
        yield stacked(rows[index], pipeline.history)
        past = rows[len(rows) - back :].clone()


class ObservationHistory:
    """The last `history` preprocessed observations of `count` episodes played side by side.

    `push(observations, new_episode)` adds one step per episode and returns the stacked
    network inputs; rows flagged as a new episode (all of them on the first push) forget what
    came before and repeat their first observation, as training's inputs do.
    """

    def __init__(self, pipeline: ObservationPipeline, space: gym.Space,
                 device: torch.device | str = "cpu") -> None:
        self.pipeline = pipeline
        self.space = space
        self.raw_shape = row_shape(space)
        pipeline.frame_shape(space)  # refuse a pipeline that does not fit, before play
        self.device = torch.device(device)
        self._frames: torch.Tensor | None = None  # (count, history, *frame)

    def clear(self) -> None:
        """Forget every episode: the next push starts them all."""
        self._frames = None

    def push(self, observations: Any, new_episode: np.ndarray | None = None) -> torch.Tensor:
        """Add a (count, *raw) batch of observations; (count, *input) inputs come back.
        Dict observations come flat or as a dict of (count, ...) arrays (a vector env's)."""
        batch = torch.as_tensor(flatten_batch(self.space, observations), device=self.device)
        if tuple(batch.shape[1:]) != self.raw_shape:
            raise PipelineError(f"observations of shape {tuple(batch.shape[1:])} reached a "
                                f"policy built for {self.raw_shape}")
        frames = self.pipeline.preprocess(batch)
        k = self.pipeline.history
        if self._frames is None or len(self._frames) != len(frames):
            self._frames = frames.unsqueeze(1).repeat(1, k, *([1] * (frames.dim() - 1)))
        else:
            self._frames = torch.cat([self._frames[:, 1:], frames.unsqueeze(1)], dim=1)
            if new_episode is not None and np.any(new_episode):
                restart = torch.as_tensor(np.asarray(new_episode, dtype=bool),
                                          device=self.device)
                self._frames[restart] = frames[restart].unsqueeze(1).expand_as(
                    self._frames[restart])
        return stacked(self._frames.reshape(-1, *frames.shape[1:]), k)


def replace_fields(pipeline: ObservationPipeline, **changes: Any) -> ObservationPipeline:
    """`pipeline` with the non-None `changes` applied (a training config's overrides)."""
    return dataclasses.replace(pipeline, **{k: v for k, v in changes.items() if v is not None})
