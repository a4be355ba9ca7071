"""Video export: one job that streams frames into an MP4 or a GIF, and the frames it exports.

`export_frames(config, frames)` takes any iterator of RGB frames, hands each to the encoder as
it comes (recorder.video_writer) and yields a `VideoProgress` per frame; a cancel or an error
leaves no file. The frame sources are the three views' exports: `comparison_frames` (Compare:
the demo and the clone side by side), `policy_frames` (Watch: the clone from an episode's seed)
and `recorded_frames` (Datasets: a recorded episode's frames), each pane under its caption.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clonelab.models.agent import PolicyAgent
from clonelab.models.policy import Policy
from clonelab.models.twin_run import Pane, TwinRun, close_run, demo_and_clone, make_pane
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.jobs import CancelCheck, cancel_check
from clonelab.recorder.video_writer import ExportError, open_video

__all__ = ["ExportConfig", "ExportError", "ExportResult", "VideoProgress", "comparison_frames",
           "export_comparison", "export_frames", "export_policy", "export_recording",
           "pane_captions", "policy_frames", "recorded_frames", "recording_fps", "tile"]

log = logging.getLogger(__name__)

PANE_HEIGHT = 300
# A run whose env sets no step limit still ends: at most this many steps are exported.
MAX_STEPS = 10_000
_GAP = 6
_CAPTION_HEIGHT = 46  # two lines: the side and its figures, then its last action by name


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    """Where and how a video is written."""

    path: Path
    """The file to write; its suffix (.mp4 or .gif) chooses the format."""
    fps: float = 30.0
    """Frames per second of the video: the recording's (GIF caps it at 50)."""
    height: int = PANE_HEIGHT
    """Height of each pane in pixels; widths keep the env's aspect."""
    deterministic: bool = True
    """Whether the clone acts by its mode (argmax / mu) rather than by sampling."""
    labels: tuple[str, str] = ("demo", "clone")
    """Captions of the left and right panes of a side by side."""

    def __post_init__(self) -> None:
        if Path(self.path).suffix.lower() not in (".gif", ".mp4"):
            raise ValueError(f"{self.path}: choose a .gif or .mp4 file name")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.height < 16:
            raise ValueError(f"height must be at least 16 pixels, got {self.height}")


def recording_fps(episode: Any, fallback: float = 30.0) -> float:
    """The frame rate an episode was recorded at (its measured `fps`), else `fallback` (the
    env's playing speed) for episodes that stored none."""
    fps = float(getattr(episode, "fps", math.nan))
    return fps if math.isfinite(fps) and fps > 0 else fallback


@dataclass(frozen=True, kw_only=True)
class VideoProgress:
    """Frames written so far (at most `limit`; None when the length is unknown)."""

    frames: int
    limit: int | None


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    """The written video (None when the export was cancelled) and its frame count."""

    path: Path | None
    frames: int


def export_frames(config: ExportConfig, frames: Iterable[np.ndarray], *,
                  limit: int | None = None, cancel: CancelCheck | None = None
                  ) -> Generator[VideoProgress, None, ExportResult]:
    """Write `frames` to `config.path` at `config.fps`, one progress record per frame.

    Each frame goes to the encoder as it is made (no video is held in memory, GIF's
    compressed frames aside). Cancelling stops before the next frame; cancel or error, the
    target is left untouched and no temporary file stays. `frames` is closed on every path.
    """
    stop = cancel_check(cancel)
    iterator = iter(frames)
    try:
        with open_video(config.path, config.fps) as writer:
            for frame in _until(iterator, stop):
                writer.write(frame)
                yield VideoProgress(frames=writer.frames, limit=limit)
            if stop():
                writer.discard()
                return ExportResult(path=None, frames=0)
            return ExportResult(path=writer.close(), frames=writer.frames)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # a generator's `finally` closes its envs


def _until(frames: Iterator[np.ndarray], stop: Any) -> Iterator[np.ndarray]:
    # Checked before each frame is made: rendering is the slow part.
    while not stop():
        frame = next(frames, None)
        if frame is None:
            return
        yield frame


# -- frames with captions -----------------------------------------------------------------------


def _scaled(frame: np.ndarray, height: int) -> np.ndarray:
    """Nearest-neighbour resize to `height` rows, aspect kept (crisp, no dependencies)."""
    rows, cols = frame.shape[:2]
    width = max(1, round(cols * height / rows))
    row_index = (np.arange(height) * rows // height).clip(0, rows - 1)
    col_index = (np.arange(width) * cols // width).clip(0, cols - 1)
    return frame[row_index][:, col_index]


@functools.cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=16)


def tile(frames: Sequence[np.ndarray], captions: Sequence[str], *,
         height: int = PANE_HEIGHT) -> np.ndarray:
    """Frames scaled to one height, next to each other, each under its caption (up to two
    lines)."""
    panes = [_scaled(np.asarray(frame, dtype=np.uint8), height) for frame in frames]
    width = sum(pane.shape[1] for pane in panes) + _GAP * (len(panes) - 1)
    canvas = np.full((_CAPTION_HEIGHT + height, width, 3), 24, dtype=np.uint8)
    x = 0
    for pane in panes:
        canvas[_CAPTION_HEIGHT:, x : x + pane.shape[1]] = pane[:, :, :3]
        x += pane.shape[1] + _GAP
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    x = 0
    for pane, caption in zip(panes, captions, strict=True):
        draw.text((x + 6, 4), caption, fill=(235, 235, 235), font=_font())
        x += pane.shape[1] + _GAP
    return np.asarray(image)


def _caption(label: str, step: int, episode_return: float, action: Any,
             names: EnvNames) -> str:
    return (f"{label}  step {step}  return {episode_return:.1f}\n"
            + ("" if action is None else names.action(action)))


def pane_captions(run: TwinRun, labels: Sequence[str], names: EnvNames) -> list[str]:
    """Each pane's caption: its label, step and return, then the action it just took by name
    ("demo  step 12  return -3.1" over "fire main engine")."""
    return [_caption(label, run.step_count, pane.episode_return, pane.last_action, names)
            for label, pane in zip(labels, run.panes, strict=True)]


class _PaneFrames:
    """A pane's rendered frame, rendered again only after the pane moved (an ended pane
    holds its last state, so its frame is kept rather than re-rendered)."""

    def __init__(self, pane: Pane) -> None:
        self._pane = pane
        self._frame: np.ndarray | None = None

    def frame(self) -> np.ndarray:
        if self._frame is None or not self._pane.done:
            self._frame = self._pane.session.env.render()
        return self._frame


# -- the three views' frames --------------------------------------------------------------------


def comparison_frames(run: TwinRun, config: ExportConfig, names: EnvNames | None = None
                      ) -> Iterator[np.ndarray]:
    """`run` played from step 0 to its end, demo and clone side by side; closes the run."""
    names = names or EnvNames()
    renders = [_PaneFrames(pane) for pane in run.panes]
    try:
        run.reset()
        while True:
            yield tile([r.frame() for r in renders], pane_captions(run, config.labels, names),
                       height=config.height)
            if not run.step():
                return
    finally:
        close_run(run)


def run_length(run: TwinRun) -> int:
    """How many frames `comparison_frames` makes at most."""
    return (run.limit if run.limit is not None else MAX_STEPS) + 1


def export_comparison(config: ExportConfig, env_id: str, episode: Any, policy: Policy, *,
                      cancel: CancelCheck | None = None
                      ) -> Generator[VideoProgress, None, ExportResult]:
    """Render `episode`'s demo next to `policy` from the same seed into `config.path`."""
    run = demo_and_clone(env_id, episode, policy, deterministic=config.deterministic)
    return (yield from export_frames(config, comparison_frames(run, config, env_names(env_id)),
                                     limit=run_length(run), cancel=cancel))


def policy_frames(pane: Pane, seed: int, config: ExportConfig, *,
                  names: EnvNames | None = None, label: str = "clone") -> Iterator[np.ndarray]:
    """`pane` (a policy's) playing one episode from `seed` to its end or `MAX_STEPS`; closes
    the pane's env."""
    names = names or EnvNames()
    try:
        pane.reset(seed, None)
        step = 0
        while True:
            yield tile([pane.session.env.render()],
                       [_caption(label, step, pane.episode_return, pane.last_action, names)],
                       height=config.height)
            if pane.done or step >= MAX_STEPS:
                return
            pane.step()
            step += 1
    finally:
        pane.session.env.close()


def export_policy(config: ExportConfig, env_id: str, policy: Policy, seed: int, *,
                  names: EnvNames | None = None, cancel: CancelCheck | None = None
                  ) -> Generator[VideoProgress, None, ExportResult]:
    """Render `policy` playing `env_id` from `seed` into `config.path`: the episode Watch
    shows (its agent is reseeded with the episode's seed, so sampled actions match too)."""
    agent = PolicyAgent(policy, deterministic=config.deterministic, seed=seed)
    pane = make_pane(env_id, agent, "agent", "policy")
    spec = pane.session.env.spec
    steps = spec.max_episode_steps if spec is not None and spec.max_episode_steps else None
    return (yield from export_frames(config, policy_frames(pane, seed, config, names=names),
                                     limit=min(steps or MAX_STEPS, MAX_STEPS) + 1,
                                     cancel=cancel))


def recorded_frames(frames: Iterable[np.ndarray], episode: Any, config: ExportConfig, *,
                    names: EnvNames | None = None, label: str = "demo"
                    ) -> Iterator[np.ndarray]:
    """A recorded episode's frames (stored images or its re-simulation's renders), each under
    the step, the return so far and the recorded action."""
    names = names or EnvNames()
    actions, rewards = episode.actions, np.asarray(episode.rewards, dtype=float)
    returns = np.concatenate([[0.0], np.cumsum(rewards)])
    for step, frame in enumerate(frames):
        action = actions[step - 1] if 0 < step <= len(actions) else None
        yield tile([frame], [_caption(label, step, float(returns[min(step, len(rewards))]),
                                      action, names)], height=config.height)


def export_recording(config: ExportConfig, frames: Sequence[np.ndarray], episode: Any, *,
                     names: EnvNames | None = None, cancel: CancelCheck | None = None
                     ) -> Generator[VideoProgress, None, ExportResult]:
    """Write a recorded episode's `frames` (one per observation) into `config.path`."""
    return (yield from export_frames(config, recorded_frames(frames, episode, config,
                                                             names=names),
                                     limit=len(frames), cancel=cancel))
