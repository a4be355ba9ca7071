"""Video files through PyAV (H.264 MP4) and Pillow (GIF): readable, at the asked frame rate, and
never left half-written."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from clonelab.recorder.video_writer import (
    ExportError,
    Mp4Writer,
    open_video,
    video_formats,
    write_video,
)


def frames(count: int, rows: int = 33, cols: int = 47) -> list[np.ndarray]:
    """Distinct frames (a moving bar), odd-sized on purpose."""
    out = []
    for i in range(count):
        frame = np.full((rows, cols, 3), 30, np.uint8)
        frame[:, (2 * i) % cols] = (250, 200, 10)
        out.append(frame)
    return out


def read_mp4(path: Path) -> tuple[int, float, tuple[int, int], str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        return (count, float(stream.average_rate), (stream.height, stream.width),
                stream.codec_context.name)


def test_mp4_and_gif_are_always_offered() -> None:
    assert video_formats() == ["mp4", "gif"]


@pytest.mark.parametrize("fps", [50.0, 15.0])
def test_an_mp4_holds_every_frame_at_the_asked_rate(tmp_path: Path, fps: float) -> None:
    path = write_video(tmp_path / "run.mp4", frames(40), fps)
    count, rate, size, codec = read_mp4(path)
    assert (count, rate, codec) == (40, fps, "h264")
    assert size == (34, 48)  # yuv420p: odd sides padded by a pixel
    assert [p.name for p in tmp_path.iterdir()] == ["run.mp4"]


def test_a_gif_holds_every_frame(tmp_path: Path) -> None:
    path = write_video(tmp_path / "run.gif", frames(12), 20)
    with Image.open(path) as gif:
        assert gif.n_frames == 12
        assert gif.info["duration"] == 50
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


@pytest.mark.parametrize("name", ["run.mp4", "run.gif"])
def test_a_discarded_video_leaves_no_file(tmp_path: Path, name: str) -> None:
    with open_video(tmp_path / name, 30) as writer:
        for frame in frames(5):
            writer.write(frame)
        writer.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["run.mp4", "run.gif"])
def test_an_error_while_writing_keeps_the_old_file(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(b"the person's earlier video")

    def broken():
        yield from frames(3)
        raise RuntimeError("the env crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        write_video(target, broken(), 30)
    assert target.read_bytes() == b"the person's earlier video"
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", ["run.mp4", "run.gif"])
def test_an_unwritable_place_is_one_clear_line(tmp_path: Path, name: str) -> None:
    target = tmp_path / "no such folder" / name
    with pytest.raises(ExportError) as caught:
        open_video(target, 30)
    message = str(caught.value)
    assert message.startswith(f"{target}: cannot write there")
    assert "\n" not in message


def test_bad_input_is_refused_with_a_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="choose a .mp4 or .gif"):
        open_video(tmp_path / "run.avi", 30)
    with pytest.raises(ExportError, match="no frames"):
        write_video(tmp_path / "run.mp4", [], 30)
    with pytest.raises(ExportError, match="the video's first was"):
        write_video(tmp_path / "run.mp4", [*frames(2), *frames(1, rows=20)], 30)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("count", [3, 40])  # failing at close, or at a later write
def test_an_encoder_failure_is_one_line_and_leaves_nothing(tmp_path: Path, monkeypatch,
                                                           count: int) -> None:
    def broken(_writer, _packets) -> None:
        raise ValueError("the encoder broke")

    monkeypatch.setattr(Mp4Writer, "_mux", broken)
    with pytest.raises(ExportError, match="the encoder broke") as error:
        write_video(tmp_path / "run.mp4", frames(count), 30)
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
