"""Video files written frame by frame: H.264 MP4 through PyAV, GIF through Pillow.

PyAV's wheel bundles FFmpeg with libx264, so MP4 needs no ffmpeg on the machine: both formats
are always available. MP4 frames are converted to YUV and encoded on a thread of their own
(PyAV releases the GIL there), so encoding overlaps with making the next frame. A writer
streams into a hidden temporary file next to the target and renames it into place on
`close()`; `discard()` (a cancel, an error) removes it, so a target is never left half-written.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from clonelab.recorder.replay import CompressedFrames

log = logging.getLogger(__name__)

VIDEO_FORMATS = ("mp4", "gif")
"""The formats a video export writes, MP4 first (smaller, and any player shows it)."""
# GIF frame delays are whole centiseconds and most viewers clamp below 2 cs: cap at 50 fps.
MAX_GIF_FPS = 50
# x264's defaults, only faster: "veryfast" keeps a 1,000-frame side by side well under
# its play time on 2 cores at a size close to "medium" for these flat-coloured frames.
_X264_OPTIONS = {"preset": "veryfast", "crf": "23"}
# Frames waiting for the encoder thread at most: enough to ride out a slow frame, little memory.
_ENCODER_QUEUE = 8


class ExportError(Exception):
    """An export that cannot be written; the message names the file and the problem."""


def video_formats() -> list[str]:
    """The video formats an export can write: MP4 (H.264) and GIF, always."""
    return list(VIDEO_FORMATS)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _rgb(frame: np.ndarray) -> np.ndarray:
    image = np.asarray(frame)
    if image.ndim != 3 or image.shape[2] < 3:
        raise ExportError(f"a video frame must be height x width x 3, got shape {image.shape}")
    return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)


class VideoWriter(ABC):
    """Frames to one video file: `write()` each frame, then `close()` (or `discard()`).

    Use `open_video`, which picks the format from the file's suffix.
    """

    def __init__(self, path: Path, fps: float) -> None:
        if not fps > 0:
            raise ExportError(f"{path}: fps must be positive, got {fps}")
        self.path = path
        self.fps = fps
        self.frames = 0
        self._temporary = _temporary(path)
        try:  # fail now, not after rendering every frame (PyAV opens its file lazily)
            self._temporary.touch()
        except OSError as exc:
            raise ExportError(f"{path}: cannot write there ({_reason(exc)})") from exc

    @abstractmethod
    def write(self, frame: np.ndarray) -> None:
        """Add one RGB frame (H x W x 3 uint8)."""

    @abstractmethod
    def _finish(self) -> None:
        """Complete the temporary file."""

    @abstractmethod
    def _abandon(self) -> None:
        """Release what the format holds (the temporary file is removed after)."""

    def close(self) -> Path:
        """Finish the file and move it into place; ExportError when it cannot be written."""
        if self.frames == 0:
            self.discard()
            raise ExportError(f"{self.path}: no frames to write")
        try:
            self._finish()
            os.replace(self._temporary, self.path)
        except ExportError:
            self.discard()
            raise
        except (OSError, av.FFmpegError) as exc:
            self.discard()
            raise ExportError(f"{self.path}: cannot write the video ({exc})") from exc
        log.info("wrote %d frames to %s", self.frames, self.path)
        return self.path

    def discard(self) -> None:
        """Drop what was written: the target is untouched and no temporary file stays."""
        try:
            self._abandon()
        except (OSError, av.FFmpegError):  # the file goes anyway
            log.debug("closing the abandoned %s failed", self._temporary, exc_info=True)
        self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind: Any, *_rest: Any) -> None:
        if kind is not None:
            self.discard()


class Mp4Writer(VideoWriter):
    """H.264 (libx264, yuv420p) in MP4 through PyAV; each frame goes to an encoder thread at
    once (at most `_ENCODER_QUEUE` wait), which converts, encodes and muxes it."""

    def __init__(self, path: Path, fps: float) -> None:
        super().__init__(path, fps)
        try:
            self._container: Any = av.open(str(self._temporary), "w", format="mp4")
        except (OSError, av.FFmpegError) as exc:
            self._temporary.unlink(missing_ok=True)
            raise ExportError(f"{path}: cannot write there ({_reason(exc)})") from exc
        self._stream: Any = None
        self._size: tuple[int, int] | None = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_ENCODER_QUEUE)
        self._encoder: threading.Thread | None = None
        self._failure: Exception | None = None
        self._abandoned = False

    def write(self, frame: np.ndarray) -> None:
        """Hand one frame to the encoder; odd sides are padded by a pixel (yuv420p needs even
        ones). An encoder failure surfaces here or in `close()` as ExportError."""
        self._raise_failure()
        image = _rgb(frame)
        rows, cols = image.shape[:2]
        if self._stream is None:
            self._size = (rows, cols)
            self._stream = self._container.add_stream(
                "libx264", rate=Fraction(self.fps).limit_denominator(1001))
            self._stream.height, self._stream.width = rows + rows % 2, cols + cols % 2
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = dict(_X264_OPTIONS)
        elif (rows, cols) != self._size:
            raise ExportError(f"{self.path}: frame {self.frames} is {rows}x{cols} pixels, the "
                              f"video's first was {self._size}")
        if rows % 2 or cols % 2:
            image = np.pad(image, ((0, rows % 2), (0, cols % 2), (0, 0)), mode="edge")
        if self._encoder is None:
            self._encoder = threading.Thread(target=self._encode_queued, daemon=True,
                                             name=f"encode {self.path.name}")
            self._encoder.start()
        self._queue.put(av.VideoFrame.from_ndarray(image, format="rgb24"))
        self.frames += 1

    def _encode_queued(self) -> None:
        # Until the None that `_stop_encoder` sends; after a failure or an abandon, frames
        # are only taken off the queue so that the writer never blocks on a full one.
        while (frame := self._queue.get()) is not None:
            if self._failure is not None or self._abandoned:
                continue
            try:
                self._mux(self._stream.encode(frame))
            except Exception as exc:  # noqa: BLE001 - any failure ends the video, not the thread
                self._failure = exc

    def _stop_encoder(self) -> None:
        if self._encoder is not None:
            self._queue.put(None)
            self._encoder.join()
            self._encoder = None

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise ExportError(f"{self.path}: cannot write the video ({self._failure})")

    def _mux(self, packets: Iterable[Any]) -> None:
        for packet in packets:
            self._container.mux(packet)

    def _finish(self) -> None:
        self._stop_encoder()
        self._raise_failure()
        self._mux(self._stream.encode())  # flush the frames x264 holds for look-ahead
        self._container.close()

    def _abandon(self) -> None:
        self._abandoned = True
        self._stop_encoder()
        self._container.close()


class GifWriter(VideoWriter):
    """A looping GIF through Pillow. Pillow writes a GIF in one call (it merges identical
    consecutive frames), so the frames wait compressed in memory until `close()`."""

    def __init__(self, path: Path, fps: float) -> None:
        super().__init__(path, fps)
        self._frames = CompressedFrames()

    def write(self, frame: np.ndarray) -> None:
        """Keep one frame (zlib-compressed) for the GIF."""
        self._frames.append(_rgb(frame))
        self.frames += 1

    def _finish(self) -> None:
        images = (Image.fromarray(frame) for frame in self._frames)
        first = next(images)
        delay_ms = 1000.0 / min(max(self.fps, 1.0), MAX_GIF_FPS)
        first.save(self._temporary, format="GIF", save_all=True, append_images=images,
                   duration=round(delay_ms, -1), loop=0)

    def _abandon(self) -> None:
        self._frames = CompressedFrames()


def _reason(exc: Exception) -> str:
    # FFmpeg's errors repeat the file name; the one-line message names it once already.
    return getattr(exc, "strerror", None) or str(exc)


def open_video(path: str | os.PathLike[str], fps: float) -> VideoWriter:
    """A writer for `path`, by its suffix: .mp4 (H.264) or .gif; ExportError for others or
    for a place that cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "mp4":
        return Mp4Writer(path, fps)
    if suffix == "gif":
        return GifWriter(path, fps)
    raise ExportError(f"{path}: choose a .mp4 or .gif file name")


def write_video(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float) -> Path:
    """Write `frames` to `path` (.mp4 or .gif) in one go."""
    with open_video(path, fps) as writer:
        for frame in frames:
            writer.write(frame)
        return writer.close()
