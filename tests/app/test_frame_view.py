"""FrameView keeps its HUD and REC indicator off the frame, so scores and gauges stay visible."""

from __future__ import annotations

import numpy as np
import pytest

from clonelab.app.widgets.frame_view import FrameView

HUD = ["Atari Pong", "Episode 3   Step 120   Return -4.00", "FPS 15 / 15   Speed 1x",
       "Control: human (keyboard)", "Dataset: pong-demos (12 episodes)"]
PONG, CAR_RACING = (210, 160), (400, 600)


@pytest.mark.parametrize("frame_shape", [PONG, CAR_RACING])
@pytest.mark.parametrize("size", [(700, 500), (480, 360), (1000, 420), (400, 700)])
def test_the_hud_never_covers_the_frame(qtbot, frame_shape, size):
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.set_frame(np.full((*frame_shape, 3), 255, np.uint8))
    view.set_hud(HUD)
    view.set_recording(True)
    frame, hud = view.frame_rect(), view.hud_rect()
    assert not frame.intersects(hud)
    assert view.rect().contains(frame)
    # What is painted agrees: the frame's corners show the frame's white pixels.
    image = view.grab().toImage()
    for corner in (frame.topLeft(), frame.topRight(), frame.bottomLeft(), frame.bottomRight()):
        assert image.pixelColor(corner).lightness() == 255


def test_without_a_hud_the_frame_fills_the_view(qtbot):
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.set_frame(np.zeros((*CAR_RACING, 3), np.uint8))
    assert view.hud_rect().isEmpty()
    assert view.frame_rect().size().toTuple() == (600, 400)
