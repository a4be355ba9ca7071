"""The Train tab names the preprocessing the policy will get, and follows the form's edits."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from PySide6.QtWidgets import QLineEdit

from clonelab.app.train.preprocessing_line import preprocessing_text
from clonelab.app.train.train_panel import TrainPanel
from clonelab.models.observations import ObservationPipeline
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import empty_dataset, workspace_on

PONG_FRAMES = gym.spaces.Box(0, 255, (210, 160, 3), np.uint8)


def panel_on(qtbot, dataset: Path, env_id: str) -> TrainPanel:
    panel = TrainPanel(workspace_on(dataset, env_id))
    qtbot.addWidget(panel)
    return panel


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


@pytest.fixture
def pong(qtbot, tmp_path: Path) -> TrainPanel:
    """The Train tab on an (empty) Pong dataset: its frames' space is all the line needs."""
    path = tmp_path / "pong"
    DemoDataset.create(path, env_id="ALE/Pong-v5", observation_space=PONG_FRAMES,
                       action_space=gym.spaces.Discrete(6))
    return panel_on(qtbot, path, "ALE/Pong-v5")


def test_pong_shows_the_atari_default_and_follows_each_edit(qtbot, pong: TrainPanel) -> None:
    line = pong.preprocessing_line
    assert line.text() == ("Policy reads: 84x84 grey, 4 frames stacked (from 210x160 colour "
                           "frames; network input 84x84x4)")
    pong.form.editor("history").setValue(2)
    assert "84x84 grey, 2 frames stacked" in line.text()
    type_into(qtbot, pong.form.editor("frame_size"), "64, 48")
    assert "64x48 grey, 2 frames stacked" in line.text()
    type_into(qtbot, pong.form.editor("crop"), "34, 16, 0, 0")
    assert "crop 34 top, 16 bottom" in line.text()
    pong.form.editor("colour").setCurrentText("rgb")
    assert line.text().endswith("64x48 colour, 2 frames stacked, crop 34 top, 16 bottom (from "
                                "210x160 colour frames; network input 64x48x6)")


def test_a_crop_larger_than_the_frames_is_named_in_red(qtbot, pong: TrainPanel) -> None:
    type_into(qtbot, pong.form.editor("crop"), "200, 20, 0, 0")
    assert "leaves nothing of 210x160 frames" in pong.preprocessing_line.text()
    assert "color: #c0392b" in pong.preprocessing_line.styleSheet()  # red


def test_vectors_show_their_history(qtbot, tmp_path: Path) -> None:
    panel = panel_on(qtbot, empty_dataset(tmp_path / "cartpole"), "CartPole-v1")
    assert panel.preprocessing_line.text() == "Policy reads: 4 values, history 1"
    panel.form.editor("history").setValue(3)
    assert panel.preprocessing_line.text() == ("Policy reads: 4 values, history 3 (the last 3 "
                                               "observations: network input 12)")


def test_the_text_of_a_pipeline_as_recorded() -> None:
    grid = gym.spaces.Box(0, 255, (40, 40, 3), np.uint8)
    assert preprocessing_text(ObservationPipeline(), grid) == (
        "40x40 colour, 1 frame (from 40x40 colour frames; network input 40x40x3)")
