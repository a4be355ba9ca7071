"""Video export: a demo and its clone side by side, as GIF (always) or MP4 (with an ffmpeg encoder).

GIF goes through Pillow, which is always installed. MP4 needs an ffmpeg executable: one on the
PATH, or the one bundled with the optional `imageio-ffmpeg` package; `video_formats()` says
which formats this machine can write, and the views offer only those.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clonelab.models.policy import Policy
from clonelab.models.twin_run import TwinRun, close_run, demo_and_clone
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.jobs import CancelCheck, cancellable
from clonelab.recorder.replay import CompressedFrames

log = logging.getLogger(__name__)

# GIF frame delays are whole centiseconds and most viewers clamp below 2 cs: cap at 50 fps.
MAX_GIF_FPS = 50
PANE_HEIGHT = 300
_GAP = 6
_CAPTION_HEIGHT = 46  # two lines: the side and its figures, then its last action by name


class ExportError(Exception):
    """An export that cannot be written; the message names the file and the problem."""


@functools.cache
def mp4_encoder() -> str | None:
    """The ffmpeg executable to encode MP4 with, or None when this machine has none."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # optional: not a CloneLab dependency
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError:
        return None


def video_formats() -> list[str]:
    """The video formats this machine can write: "gif" always, "mp4" with an ffmpeg encoder."""
    return ["gif", "mp4"] if mp4_encoder() else ["gif"]


def write_gif(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write RGB frames as a looping GIF (identical consecutive frames are merged by Pillow)."""
    path = Path(path)
    images = (Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8)) for frame in frames)
    first = next(images, None)
    if first is None:
        raise ExportError(f"{path}: no frames to write")
    delay_ms = 1000.0 / min(max(fps, 1.0), MAX_GIF_FPS)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        first.save(temporary, format="GIF", save_all=True, append_images=images,
                   duration=round(delay_ms, -1), loop=0)
        os.replace(temporary, path)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write the GIF ({exc})") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_mp4(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float) -> Path:
    """Encode RGB frames to H.264 MP4 with ffmpeg; ExportError when no encoder is available."""
    path = Path(path)
    encoder = mp4_encoder()
    if encoder is None:
        raise ExportError(f"{path}: MP4 needs ffmpeg (on the PATH or from the imageio-ffmpeg "
                          "package); export a GIF instead")
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise ExportError(f"{path}: no frames to write")
    height, width = first.shape[:2]
    command = [encoder, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-",
               # yuv420p needs even sides; pad by one pixel where they are odd.
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdin is not None
        try:
            for frame in (first, *iterator):
                process.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            process.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its message is read below
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.wait() != 0:
            raise ExportError(f"{path}: ffmpeg failed ({error.strip().splitlines()[-1:]})")
    return path


def write_video(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write frames as GIF or MP4, chosen by the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return write_gif(path, frames, fps)
    if suffix == ".mp4":
        return write_mp4(path, frames, fps)
    raise ExportError(f"{path}: choose a .gif or .mp4 file name")


# -- side-by-side frames ----------------------------------------------------------------------


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


def side_by_side(left: np.ndarray, right: np.ndarray, *, captions: Sequence[str] = ("", ""),
                 height: int = PANE_HEIGHT) -> np.ndarray:
    """Two frames scaled to one height, next to each other, each under its caption (up to
    two lines)."""
    panes = [_scaled(np.asarray(frame, dtype=np.uint8), height) for frame in (left, right)]
    width = panes[0].shape[1] + _GAP + panes[1].shape[1]
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


@dataclass(frozen=True, kw_only=True)
class VideoProgress:
    """Frames rendered so far of a side-by-side export (at most `limit`)."""

    frames: int
    limit: int


def pane_captions(run: TwinRun, labels: Sequence[str], names: EnvNames) -> list[str]:
    """Each pane's caption: its label, step and return, then the action it just took by name
    ("demo  step 12  return -3.1" over "fire main engine")."""
    return [f"{label}  step {run.step_count}  return {pane.episode_return:.1f}\n"
            + ("" if pane.last_action is None else names.action(pane.last_action))
            for label, pane in zip(labels, run.panes, strict=True)]


def render_run(run: TwinRun, *, height: int = PANE_HEIGHT,
               labels: Sequence[str] = ("demo", "clone"), names: EnvNames | None = None
               ) -> Generator[VideoProgress, None, CompressedFrames]:
    """Play `run` from step 0 to its end, one side-by-side frame per counter value.

    Frames are kept compressed (a 500-step run takes a few MB, not hundreds).
    """
    run.reset()
    limit = (run.limit if run.limit is not None else 10_000) + 1
    frames = CompressedFrames()
    while True:
        renders = [pane.session.env.render() for pane in run.panes]
        frames.append(side_by_side(renders[0], renders[1], height=height,
                                   captions=pane_captions(run, labels, names or EnvNames())))
        yield VideoProgress(frames=len(frames), limit=limit)
        if not run.step():
            return frames


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    """Where and how a demo-and-clone video is written."""

    path: Path
    """The file to write; its suffix (.gif or .mp4) chooses the format."""
    fps: float = 30.0
    """Frames per second of the video (GIF caps it at 50)."""
    height: int = PANE_HEIGHT
    """Height of each pane in pixels; widths keep the env's aspect."""
    deterministic: bool = True
    """Whether the clone acts by its mode (argmax / mu) rather than by sampling."""
    labels: tuple[str, str] = ("demo", "clone")
    """Captions of the left and right panes."""

    def __post_init__(self) -> None:
        if Path(self.path).suffix.lower() not in (".gif", ".mp4"):
            raise ValueError(f"{self.path}: choose a .gif or .mp4 file name")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if self.height < 16:
            raise ValueError(f"height must be at least 16 pixels, got {self.height}")


@dataclass(frozen=True, kw_only=True)
class ExportResult:
    """The written video (None when the export was cancelled) and its frame count."""

    path: Path | None
    frames: int


def export_comparison(config: ExportConfig, env_id: str, episode: Any, policy: Policy, *,
                      cancel: CancelCheck | None = None
                      ) -> Generator[VideoProgress, None, ExportResult]:
    """Render `episode`'s demo next to `policy` from the same seed and write the video.

    Cancelling stops the rendering and writes nothing.
    """
    run = demo_and_clone(env_id, episode, policy, deterministic=config.deterministic)
    try:
        frames = yield from cancellable(render_run(run, height=config.height,
                                                   labels=config.labels,
                                                   names=env_names(env_id)), cancel)
    finally:
        close_run(run)
    if frames is None:
        return ExportResult(path=None, frames=0)
    return ExportResult(path=write_video(config.path, frames, config.fps), frames=len(frames))
