"""Scrub a recorded episode: frame, observation, action and reward at every step.

Image observations are shown as stored. Vector observations have no stored frames, so the
timeline re-simulates the episode in the background (recorder.replay) to rebuild them, and
shows whether the env reproduced the recorded observations; the first step where it did not is
marked on the slider and named in red. The episode exports as an MP4 or a GIF at its recorded
frame rate, each frame under the step, the return so far and the action
(clonelab.app.widgets.video_export_bar).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.widgets.frame_view import FrameView
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.marker_slider import MarkerSlider
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.video_export_bar import VideoExportBar
from clonelab.app.widgets.workers import WorkFactory
from clonelab.models.video_export import ExportConfig, export_recording, recording_fps
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.catalog import make_env
from clonelab.recorder.jobs import cancellable, relay
from clonelab.recorder.replay import ReplayProgress, ReplayResult, resimulate

log = logging.getLogger(__name__)

_MISMATCH_BRUSH = Qt.GlobalColor.red


def as_rgb(observation: Any) -> np.ndarray:
    """An image observation as (H, W, 3) uint8 (grey and single-channel images repeated)."""
    image = np.asarray(observation)
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim == 3 and image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)


def _value_item(value: float) -> QTableWidgetItem:
    item = QTableWidgetItem(f"{value:.5g}")
    item.setToolTip(repr(float(value)))
    return item


class EpisodeTimeline(QWidget):
    """A frame, a step slider and the step's values; re-simulates vector episodes to show them.

    `replay_checked(ReplayResult)` fires when a re-simulation has finished.
    """

    replay_checked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._episode: Any = None
        self._names = EnvNames()
        self._image = False
        self._frames: Sequence[np.ndarray] | None = None
        self._replay: ReplayResult | None = None
        # One re-simulation at a time; choosing another episode drops the running one.
        self._replayer = JobRunner(self)
        self._replayer.progress.connect(self._on_replay_progress)
        self._replayer.finished.connect(self._on_replay_finished)
        self._replayer.failed.connect(self._on_replay_failed)
        self._returns = np.zeros(1)

        self.frame = FrameView()
        self.slider = MarkerSlider()
        self.slider.setObjectName("timelineSlider")
        self.slider.valueChanged.connect(self._show_step)
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.mismatch_button = QPushButton("Go to mismatch")
        self.mismatch_button.clicked.connect(self._on_mismatch_clicked)
        self.mismatch_button.hide()
        self.step_label = QLabel()
        self.replay_label = MessageLine("replayStatus")
        self._values = {name: QLabel() for name in ("action", "reward", "return", "actor")}
        self.observation_table = QTableWidget(0, 2)
        self.observation_table.setHorizontalHeaderLabels(["recorded", "re-simulated"])
        self.observation_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # As wide as its columns: the side panel takes that width from the frame.
        self.observation_table.setSizeAdjustPolicy(
            QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        # Named rows ("pole angular velocity") and values both shown whole; a value's tooltip
        # holds it at full precision.
        self.observation_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.observation_table.horizontalHeader().setStretchLastSection(True)
        self.observation_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._on_play_timeout)
        self.export_bar = VideoExportBar(self._export_job, title="Export the episode",
                                         message_name="timelineExportMessage")

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.step_label)
        controls.addWidget(self.mismatch_button)
        left = QVBoxLayout()
        left.addWidget(self.frame, 1)
        left.addLayout(controls)
        values = QGridLayout()
        for row, (name, label) in enumerate(self._values.items()):
            values.addWidget(QLabel(name.capitalize()), row, 0)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            values.addWidget(label, row, 1)
        right = QVBoxLayout()
        right.addWidget(self.replay_label)
        right.addLayout(values)
        right.addWidget(QLabel("Observation"))
        right.addWidget(self.observation_table, 1)
        side = QWidget()
        side.setLayout(right)
        side.setMaximumWidth(360)
        row = QHBoxLayout()
        row.addLayout(left, 1)
        row.addWidget(side)
        # Under both columns: the bar's width is taken from neither the frame nor the table.
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.export_bar)
        self.clear()

    # -- public API ---------------------------------------------------------------------------

    def clear(self, message: str = "Choose an episode to scrub it") -> None:
        """Show nothing (no episode chosen)."""
        self._replayer.drop()
        self._episode = None
        self._frames = None
        self._replay = None
        self.play_button.setChecked(False)
        self.slider.setRange(0, 0)
        self.slider.set_marker(None)
        self.slider.setEnabled(False)
        self.play_button.setEnabled(False)
        self.mismatch_button.hide()
        self.export_bar.set_available(False)
        self.frame.set_hud([])
        self.frame.set_banner(message)
        self.replay_label.show_message("")
        self.step_label.setText("")
        for label in self._values.values():
            label.setText("")
        self.observation_table.setRowCount(0)

    def set_episode(self, env_id: str, episode: Any, *, image_observations: bool,
                    names: EnvNames | None = None) -> None:
        """Scrub `episode` of `env_id`; vector episodes are re-simulated in the background.

        Actions and observation rows are shown by `names` (default: the env id's own).
        """
        self.clear()
        self._episode = episode
        self._names = env_names(env_id) if names is None else names
        self._image = image_observations
        self._returns = np.concatenate([[0.0], np.cumsum(np.asarray(episode.rewards, float))])
        steps = len(episode.actions)
        self.slider.setRange(0, steps)
        self.slider.setEnabled(True)
        self.play_button.setEnabled(True)
        self.frame.set_banner("")
        if image_observations:
            self._frames = [as_rgb(obs) for obs in episode.observations]
            self.replay_label.show_message("Image observations: shown as recorded.")
            self.export_bar.set_available(True)
        else:
            self._start_replay(env_id, episode)
        self.slider.setValue(0)
        self._show_step(0)

    def step(self) -> int:
        """The step shown (0 is the reset observation)."""
        return self.slider.value()

    def set_step(self, step: int) -> None:
        """Show step `step`."""
        self.slider.setValue(step)

    def replay_result(self) -> ReplayResult | None:
        """The finished re-simulation of the episode shown (None for images or while running)."""
        return self._replay

    def mismatch_step(self) -> int | None:
        """The first step the re-simulation did not reproduce, or None."""
        return None if self._replay is None else self._replay.first_mismatch

    def export_video(self, path: str | Path) -> JobRunner | None:
        """Write the episode's frames into `path` (.mp4 or .gif), off the UI thread."""
        return self.export_bar.export(path)

    def _export_job(self, path: Path) -> WorkFactory:
        frames, episode, names = self._frames, self._episode, self._names
        if frames is None or episode is None:
            raise ValueError("choose an episode first")
        config = ExportConfig(path=path, fps=recording_fps(episode))

        def work(cancel: Any) -> Any:
            return export_recording(config, frames, episode, names=names, cancel=cancel)

        return work

    def shutdown(self) -> None:
        """Stop background work (before the widget goes away)."""
        self._play_timer.stop()
        self._replayer.shutdown(2000)
        self.export_bar.shutdown()

    # -- re-simulation ------------------------------------------------------------------------

    def _start_replay(self, env_id: str, episode: Any) -> None:
        self.replay_label.show_message("Re-simulating from the stored seed to rebuild the "
                                       "frames...")
        self.frame.set_banner("Re-simulating...")

        def work(cancel: Any) -> Any:
            env = make_env(env_id, render_mode="rgb_array")
            try:
                # Drive the generator here so the env is closed on every path.
                return (yield from relay(cancellable(resimulate(env, episode), cancel),
                                         keep=lambda progress: progress.step % 25 == 0))
            finally:
                env.close()

        self._replayer.start(work, replace=True)

    def _on_replay_progress(self, progress: ReplayProgress) -> None:
        self.frame.set_banner(f"Re-simulating... {100 * progress.step // progress.total}%")

    def _on_replay_finished(self, result: ReplayResult) -> None:
        self._replay = result
        self._frames = result.frames
        self.export_bar.set_available(True)
        self.frame.set_banner("")
        mismatch = result.first_mismatch
        self.slider.set_marker(mismatch)
        if mismatch is None:
            self.replay_label.show_message(
                f"Re-simulation matches the recording at all {len(result.errors)} observations.",
                "good",
            )
        else:
            error = result.errors[mismatch]
            detail = f" (largest difference {error:.3g})" if math.isfinite(error) else ""
            self.replay_label.show_message(
                f"Re-simulation differs from the recording from step {mismatch}{detail}: "
                "frames after it may not show what was recorded.",
                "error",
            )
            self.mismatch_button.show()
        self._show_step(self.slider.value())
        self.replay_checked.emit(result)

    def _on_replay_failed(self, message: str) -> None:
        self.frame.set_banner("No frames")
        self.replay_label.show_message(f"Cannot re-simulate this episode: {message}", "error")

    # -- showing a step -----------------------------------------------------------------------

    def _show_step(self, step: int) -> None:
        episode = self._episode
        if episode is None:
            return
        steps = len(episode.actions)
        self.step_label.setText(f"{step} / {steps}")
        if self._frames is not None and step < len(self._frames):
            self.frame.set_frame(self._frames[step])
        acting = step < steps
        self._values["action"].setText(self._names.action(episode.actions[step]) if acting
                                       else "end")
        self._values["reward"].setText(f"{float(episode.rewards[step]):.3f}" if acting else "")
        self._values["return"].setText(f"{self._returns[step]:.2f} so far")
        self._values["actor"].setText(
            f"{episode.actors[step]} ({episode.devices[step]})" if acting else ""
        )
        mismatch = self.mismatch_step()
        hud = [f"step {step}/{steps}", f"return {self._returns[step]:.1f}"]
        if mismatch is not None and step >= mismatch:
            hud.append(f"differs from recording since step {mismatch}")
        self.frame.set_hud(hud)
        self._show_observation(step)

    def _show_observation(self, step: int) -> None:
        recorded = np.asarray(self._episode.observations[step])
        table = self.observation_table
        if self._image:
            table.setRowCount(1)
            table.setVerticalHeaderLabels(["shape"])
            table.setItem(0, 0, QTableWidgetItem(str(recorded.shape)))
            table.setItem(0, 1, QTableWidgetItem(""))
            return
        flat = recorded.reshape(-1)
        simulated = None
        if self._replay is not None and step < len(self._replay.observations):
            simulated = np.asarray(self._replay.observations[step]).reshape(-1)
        table.setRowCount(len(flat))
        table.setVerticalHeaderLabels(self._names.observation_rows(len(flat)))
        mismatch = self.mismatch_step()
        for row, value in enumerate(flat):
            table.setItem(row, 0, _value_item(value))
            item = (QTableWidgetItem("") if simulated is None or row >= len(simulated)
                    else _value_item(simulated[row]))
            if mismatch is not None and step >= mismatch and simulated is not None and (
                row >= len(simulated) or not np.isclose(simulated[row], value, equal_nan=True)
            ):
                item.setForeground(_MISMATCH_BRUSH)
            table.setItem(row, 1, item)

    def _on_mismatch_clicked(self) -> None:
        mismatch = self.mismatch_step()
        if mismatch is not None:
            self.slider.setValue(mismatch)

    def _on_play_toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            fps = recording_fps(self._episode)
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self._play_timer.start(int(1000 / fps))
        else:
            self._play_timer.stop()

    def _on_play_timeout(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
        else:
            self.slider.setValue(self.slider.value() + 1)
