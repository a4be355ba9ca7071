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
import os
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clonelab.models.agent import PolicyAgent
from clonelab.models.policy import Policy
from clonelab.models.twin_run import Pane, make_pane
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.frames import rendered_frame
from clonelab.recorder.jobs import CancelCheck, cancel_check
from clonelab.recorder.replay import RecordedActions, replayed_actions
from clonelab.recorder.replay_process import ReplayedStep, ReplayProcess
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
# A step and its frame slower than this (CarRacing's ~10 ms; CartPole's and Atari's take ~1 ms)
# send the demo's replay to a process of its own, when the run is long enough to repay the
# second or so the process takes to start.
_SLOW_STEP_S = 0.004
_PROCESS_MIN_STEPS = 200


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


@functools.lru_cache(maxsize=16)
def _scale_index(rows: int, cols: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The source rows and columns of a nearest-neighbour resize to `height` rows (kept: every
    frame of a video has the same size)."""
    width = max(1, round(cols * height / rows))
    row_index = (np.arange(height) * rows // height).clip(0, rows - 1)
    col_index = (np.arange(width) * cols // width).clip(0, cols - 1)
    return row_index, col_index


def _scaled(frame: np.ndarray, height: int) -> np.ndarray:
    """Nearest-neighbour resize to `height` rows, aspect kept (crisp, no dependencies)."""
    if frame.shape[0] == height:
        return frame[:, :, :3]  # drawn at the video's height already (recorder.frames)
    row_index, col_index = _scale_index(frame.shape[0], frame.shape[1], height)
    # Two takes, rows then columns: half the time of one 2-D fancy index.
    return np.take(np.take(frame[:, :, :3], row_index, axis=0), col_index, axis=1)


@functools.cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=16)


def tile(frames: Sequence[np.ndarray], captions: Sequence[str], *,
         height: int = PANE_HEIGHT) -> np.ndarray:
    """Frames scaled to one height, next to each other, each under its caption (up to two
    lines)."""
    panes = [_scaled(np.asarray(frame, dtype=np.uint8), height) for frame in frames]
    width = sum(pane.shape[1] for pane in panes) + _GAP * (len(panes) - 1)
    # Only the caption strip goes through Pillow (for its text); the panes are copied once.
    strip = Image.new("RGB", (width, _CAPTION_HEIGHT), (24, 24, 24))
    draw = ImageDraw.Draw(strip)
    canvas = np.empty((_CAPTION_HEIGHT + height, width, 3), dtype=np.uint8)
    x = 0
    for pane, caption in zip(panes, captions, strict=True):
        draw.text((x + 6, 4), caption, fill=(235, 235, 235), font=_font())
        canvas[_CAPTION_HEIGHT:, x : x + pane.shape[1]] = pane
        canvas[_CAPTION_HEIGHT:, x + pane.shape[1] : x + pane.shape[1] + _GAP] = 24
        x += pane.shape[1] + _GAP
    canvas[:_CAPTION_HEIGHT] = np.asarray(strip)
    return canvas


def _caption(label: str, step: int, episode_return: float, action: Any,
             names: EnvNames) -> str:
    return (f"{label}  step {step}  return {episode_return:.1f}\n"
            + ("" if action is None else names.action(action)))


def pane_captions(step: int, sides: Sequence[ReplayedStep], labels: Sequence[str],
                  names: EnvNames) -> list[str]:
    """Each side's caption: its label, the step and its return, then the action it just took
    by name ("demo  step 12  return -3.1" over "fire main engine")."""
    return [_caption(label, step, side.episode_return, side.action, names)
            for label, side in zip(labels, sides, strict=True)]


class _LocalSide:
    """One side of a side by side played in this process, with `ReplayProcess`'s interface
    over a pane: its step and frame are made at `ask()`; an ended side is not asked again, so
    its last frame is kept, not re-rendered."""

    def __init__(self, pane: Pane, episode: Any, height: int) -> None:
        self._pane = pane
        self._seed, self._options = episode.seed, episode.options or None
        self._height = height
        self._state: ReplayedStep | None = None

    def _made(self) -> ReplayedStep:
        pane = self._pane
        self._state = ReplayedStep(rendered_frame(pane.session.env, self._height),
                                   pane.episode_return, pane.last_action, pane.done)
        return self._state

    def first(self) -> ReplayedStep:
        self._pane.reset(self._seed, self._options)
        return self._made()

    def ask(self) -> None:
        self._pane.step()
        self._made()

    def take(self) -> ReplayedStep:
        assert self._state is not None  # first() came before
        return self._state

    def close(self) -> None:
        self._pane.session.env.close()


# -- the three views' frames --------------------------------------------------------------------


def comparison_frames(sides: Sequence[Any], limit: int, config: ExportConfig,
                      names: EnvNames | None = None) -> Iterator[np.ndarray]:
    """Two sides (a `ReplayProcess`, or played here) from step 0 until both ended or `limit`
    steps, next to each other; closes them. Every side's step is asked for before any is
    taken, so a side in another process steps while this process steps the other."""
    names = names or EnvNames()
    try:
        states = [side.first() for side in sides]
        step = 0
        while True:
            yield tile([state.frame for state in states],
                       pane_captions(step, states, config.labels, names), height=config.height)
            moving = [index for index, state in enumerate(states) if not state.done]
            if step >= limit or not moving:
                return
            for index in moving:
                sides[index].ask()
            for index in moving:
                states[index] = sides[index].take()
            step += 1
    finally:
        for side in sides:
            side.close()


def _slow_to_step(env: Any, episode: Any) -> bool:
    """Whether a step and its frame take long enough that the demo is worth replaying in a
    process of its own (CarRacing: yes; CartPole, Atari: no), on a machine with two cores."""
    if (os.cpu_count() or 1) < 2 or len(episode.actions) < _PROCESS_MIN_STEPS:
        return False
    env.reset(seed=episode.seed, options=episode.options or None)
    start = time.perf_counter()
    env.step(episode.actions[0])
    rendered_frame(env)
    return time.perf_counter() - start > _SLOW_STEP_S


def export_comparison(config: ExportConfig, env_id: str, episode: Any, policy: Policy, *,
                      cancel: CancelCheck | None = None
                      ) -> Generator[VideoProgress, None, ExportResult]:
    """Render `episode`'s demo next to `policy` from the same seed into `config.path`: the
    run Compare shows. Where the env is slow to render, the demo replays in another process."""
    clone = make_pane(env_id, PolicyAgent(policy, deterministic=config.deterministic,
                                          seed=episode.seed), "agent", "policy")
    played = replayed_actions(episode)
    try:
        demo: Any = (ReplayProcess(env_id, episode.seed, episode.options or None,
                                   played, height=config.height)
                     if _slow_to_step(clone.session.env, episode) else
                     _LocalSide(make_pane(env_id, RecordedActions(played), "human",
                                          "keyboard"), episode, config.height))
    except BaseException:
        clone.session.env.close()
        raise
    frames = comparison_frames([demo, _LocalSide(clone, episode, config.height)],
                               len(episode.actions), config, env_names(env_id))
    return (yield from export_frames(config, frames, limit=len(episode.actions) + 1,
                                     cancel=cancel))


def policy_frames(pane: Pane, seed: int, config: ExportConfig, *,
                  names: EnvNames | None = None, label: str = "clone") -> Iterator[np.ndarray]:
    """`pane` (a policy's) playing one episode from `seed` to its end or `MAX_STEPS`; closes
    the pane's env."""
    names = names or EnvNames()
    try:
        pane.reset(seed, None)
        step = 0
        while True:
            yield tile([rendered_frame(pane.session.env, config.height)],
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
