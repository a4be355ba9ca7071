"""The Compare tab: a recorded episode and the clone, side by side, from the same seed.

The left pane replays the demo's recorded actions, the right pane runs the policy; both envs
are reset with the demo's seed and stepped by one timer (clonelab.app.watch.lockstep). Under the
panes, the policy's action on each demo state is compared with the demo's action
(clonelab.models.failures.compare), and the first step where they differ is marked. In live
mode a person plays the left pane with the keyboard while the clone plays the same seed on the
right. The run exports as an MP4 or a GIF at the recording's frame rate
(clonelab.app.widgets.video_export_bar).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.play.qt_keys import key_name
from clonelab.app.watch.clone_ood import CloneOodPlot
from clonelab.app.watch.divergence_plot import DivergencePlot
from clonelab.app.watch.lockstep import Lockstep
from clonelab.app.widgets.frame_view import FrameView
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.marker_slider import MarkerSlider
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.video_export_bar import VideoExportBar
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.errors import one_line
from clonelab.app.window.workspace import Workspace
from clonelab.models.agent import PolicyAgent
from clonelab.models.failures.compare import ActionComparison, compare_on_recording
from clonelab.models.twin_run import TwinRun, close_run, demo_and_clone, make_pane
from clonelab.models.video_export import ExportConfig, export_comparison, recording_fps
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.catalog import env_fps
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_chunks import stored_episode
from clonelab.recorder.sources import KeyboardSource
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)


class CompareView(QWidget):
    """Demo (left) and clone (right) in lockstep, with the per-step action comparison."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._dataset: DemoDataset | None = None
        self._policy: Any = None
        self.episode: Any = None
        self.comparison: ActionComparison | None = None
        self._names = EnvNames()
        self.lockstep: Lockstep | None = None
        self.keyboard: KeyboardSource | None = None
        self.replay_mismatch: int | None = None
        self.export_bar = VideoExportBar(self._export_job, title="Export the side-by-side run",
                                         message_name="compareExportMessage")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.episode_combo = QComboBox()
        self.episode_combo.setMinimumWidth(260)
        self.episode_combo.currentIndexChanged.connect(self._on_episode_chosen)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle)
        self.step_button = QPushButton("Step")
        self.step_button.clicked.connect(lambda: self.lockstep and self.lockstep.step_once())
        self.restart_button = QPushButton("Restart")
        self.restart_button.clicked.connect(lambda: self.lockstep and self.lockstep.restart())
        self.deterministic = QCheckBox("deterministic clone")
        self.deterministic.setChecked(True)
        self.deterministic.toggled.connect(lambda _on: self._build_run())
        self.live = QCheckBox("I play the left side (keyboard)")
        self.live.toggled.connect(lambda _on: self._build_run())
        # Panes that ask for little: the tab fits 1200x800 without scrolling (#24) and they
        # still grow into every pixel the window has.
        self.left_frame = FrameView(preferred=QSize(320, 160))
        self.right_frame = FrameView(preferred=QSize(320, 160))
        self.left_title = QLabel("Demo (recorded actions)")
        self.right_title = QLabel("Clone (policy)")
        self.slider = MarkerSlider()
        self.slider.setTracking(False)  # seeking replays from the seed: only on release
        self.slider.valueChanged.connect(lambda step: self.lockstep and self.lockstep.seek(step))
        self.step_label = QLabel()
        self.step_info = QLabel()
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.divergence_plot = DivergencePlot()
        self.ood_plot = CloneOodPlot()  # OOD score and uncertainty of the clone's own states
        self.message = MessageLine("compareMessage")
        self._build_layout()
        self._set_controls(False)
        for signal in (workspace.dataset_changed, workspace.policy_changed):
            signal.connect(self.reload)
        self.reload()

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Episode"))
        for widget in (self.episode_combo, self.play_button, self.step_button,
                       self.restart_button, self.deterministic, self.live):
            bar.addWidget(widget)
        bar.addStretch(1)
        panes = QGridLayout()
        panes.addWidget(self.left_title, 0, 0)
        panes.addWidget(self.right_title, 0, 1)
        panes.addWidget(self.left_frame, 1, 0)
        panes.addWidget(self.right_frame, 1, 1)
        panes.setRowStretch(1, 1)
        scrub = QHBoxLayout()
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.step_label)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.export_bar)
        layout.addWidget(self.message)
        layout.addLayout(panes, 1)
        layout.addLayout(scrub)
        layout.addWidget(self.step_info)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.divergence_plot)
        layout.addWidget(self.ood_plot)

    # -- public API ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Take the workspace's dataset and policy and rebuild the comparison."""
        self._teardown()
        self._dataset = None
        self._policy = None
        self.ood_plot.forget_dataset()
        self.episode_combo.blockSignals(True)
        self.episode_combo.clear()
        self.episode_combo.blockSignals(False)
        workspace = self._workspace
        if workspace.dataset_path is None or workspace.policy_path is None:
            self.message.show_message("Choose a dataset (Datasets tab) and a policy (Train or "
                                      "Watch tab) to compare them.")
            return
        try:
            if workspace.dataset_error is not None:
                raise workspace.dataset_error
            self._dataset = workspace.dataset
            assert self._dataset is not None  # a selected path holds a dataset or an error
            self._policy = workspace.policy_for(self._dataset.env_id)
            self._names = env_names(self._dataset.env_id, entry=workspace.entry)
        except Exception as exc:  # noqa: BLE001 - corrupt dataset, policy of another env
            self.message.show_message(one_line(exc), "error")
            return
        self.message.show_message("")
        self.episode_combo.blockSignals(True)
        for episode_id in self._dataset.episode_ids:
            info = self._dataset.episode_info(episode_id)
            self.episode_combo.addItem(f"#{episode_id}  return {info.episode_return:.1f}  "
                                       f"({plural(info.steps, 'step')})", episode_id)
        self.episode_combo.blockSignals(False)
        if self.episode_combo.count():
            self._on_episode_chosen(0)

    def choose_episode(self, episode_id: int) -> None:
        """Compare episode `episode_id` of the dataset."""
        index = self.episode_combo.findData(episode_id)
        if index >= 0:
            self.episode_combo.setCurrentIndex(index)
            self._on_episode_chosen(index)

    def toggle(self) -> None:
        """Play or pause both panes."""
        if self.lockstep is not None:
            self.setFocus()
            self.lockstep.toggle()

    def export_video(self, path: str | Path) -> JobRunner | None:
        """Render the demo and the clone side by side into `path` (.mp4 or .gif), off the UI."""
        return self.export_bar.export(path)

    def _export_job(self, path: Path) -> WorkFactory:
        if self.episode is None or self._dataset is None:
            raise ValueError("choose an episode first")
        env_id, episode, policy = self._dataset.env_id, self.episode, self._policy
        # The recording's measured rate; the env's playing speed where none was stored.
        fps = recording_fps(episode, self.lockstep.fps if self.lockstep is not None else 30.0)
        config = ExportConfig(path=path, deterministic=self.deterministic.isChecked(), fps=fps)

        def work(cancel: Any) -> Any:
            return export_comparison(config, env_id, episode, policy, cancel=cancel)

        return work

    def shutdown(self) -> None:
        """Stop the panes and any export (the view is going away)."""
        self._teardown()
        self.ood_plot.cancel(wait_ms=10_000)
        self.export_bar.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # -- building the run ---------------------------------------------------------------------

    def _on_episode_chosen(self, index: int) -> None:
        if self._dataset is None or index < 0:
            return
        episode_id = self.episode_combo.itemData(index)
        try:
            # The demo's frames stay in the file: the comparison reads them a chunk at a
            # time, the left pane a row per step (a Pong episode is 500 MB whole).
            self.episode = stored_episode(self._dataset, episode_id)
            self.comparison = compare_on_recording(self._policy, self._dataset, episode_id)
        except Exception as exc:  # noqa: BLE001
            self.episode = None
            self.message.show_message(one_line(exc), "error")
            return
        self._build_run()

    def _build_run(self) -> None:
        self._teardown()
        if self.episode is None or self._dataset is None:
            return
        env_id, episode = self._dataset.env_id, self.episode
        live = self.live.isChecked()
        try:
            if live:
                self.keyboard = KeyboardSource(self._workspace.entry_for(env_id).keyboard)
                clone = PolicyAgent(self._policy, deterministic=self.deterministic.isChecked(),
                                    seed=episode.seed)
                run = TwinRun(make_pane(env_id, self.keyboard, "human", "keyboard"),
                              make_pane(env_id, clone, "agent", "policy"),
                              seed=episode.seed, options=episode.options or None)
            else:
                run = demo_and_clone(env_id, episode, self._policy,
                                     deterministic=self.deterministic.isChecked())
        except Exception as exc:  # noqa: BLE001 - a failing env, an env without keys
            self.message.show_message(f"Cannot build the env: {one_line(exc)}", "error")
            return
        self.lockstep = Lockstep(run, env_fps(env_id, run.left.session.env), self)
        self.lockstep.stepped.connect(self._on_stepped)
        self.lockstep.failed.connect(lambda msg: self.message.show_message(msg, "error"))
        self.lockstep.running_changed.connect(
            lambda running: self.play_button.setText("Pause" if running else "Play"))
        self.left_title.setText("You (keyboard, live)" if live else "Demo (recorded actions)")
        steps = len(episode.actions)
        self.slider.blockSignals(True)
        self.slider.setRange(0, steps)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(not live)
        comparison = None if live else self.comparison
        self.slider.set_marker(None if comparison is None else comparison.first_divergence)
        self.divergence_plot.set_comparison(comparison)
        self.divergence_plot.setVisible(not live)
        self.ood_plot.setVisible(not live)
        if not live:
            self.ood_plot.compute(self._policy, self._dataset, episode, steps=steps + 1,
                                  deterministic=self.deterministic.isChecked())
        self.summary_label.setText(self._summary_text(comparison))
        self.replay_mismatch = None
        self._set_controls(True)
        self.message.show_message("")
        self._on_stepped(0)
        if live:
            self.setFocus()

    def _summary_text(self, comparison: ActionComparison | None) -> str:
        if comparison is None:
            return "Live: the clone plays the same seed as you; arrow keys etc. as in Play."
        if comparison.first_divergence is None:
            return (f"On the demo's states the clone picks the demo's action at every one of "
                    f"{plural(len(comparison.agree), 'step')}.")
        step = comparison.first_divergence
        return (f"On the demo's states the clone first acts differently at step {step} "
                f"(demo {self._names.action(comparison.demo_actions[step])}, clone "
                f"{self._names.action(comparison.policy_actions[step])}); it agrees on "
                f"{comparison.agreement:.0%} of steps.")

    # -- showing a step -----------------------------------------------------------------------

    def _on_stepped(self, step: int) -> None:
        lockstep = self.lockstep
        if lockstep is None:
            return
        run = lockstep.run
        for pane, frame in ((run.left, self.left_frame), (run.right, self.right_frame)):
            image = pane.session.env.render()
            if image is not None:
                frame.set_frame(image)
            hud = [f"step {step}", f"return {pane.episode_return:.1f}"]
            if pane.done:
                hud.append("episode over")
            frame.set_hud(hud)
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        self.step_label.setText(f"{step} / {self.slider.maximum()}")
        self.divergence_plot.set_cursor(step)
        self.ood_plot.set_cursor(step)
        self._check_replay()
        self._describe_step(step)

    def _check_replay(self) -> None:
        # The left pane re-simulates the recording; say so where it stops reproducing it.
        if self.live.isChecked() or self.lockstep is None:
            return
        mismatch = self.lockstep.run.left.first_mismatch
        if mismatch is not None and mismatch != self.replay_mismatch:
            self.replay_mismatch = mismatch
            self.message.show_message(f"The replay differs from the recording from step "
                                      f"{mismatch}: the left pane may not show what was "
                                      "recorded.", "error")

    def _describe_step(self, step: int) -> None:
        comparison = self.comparison
        if self.live.isChecked() or comparison is None or step >= len(comparison.agree):
            self.step_info.setText("")
            return
        same = "same" if comparison.agree[step] else "DIFFERENT"
        self.step_info.setText(
            f"Step {step}: demo action {self._names.action(comparison.demo_actions[step])}, "
            f"clone's action in the demo's state "
            f"{self._names.action(comparison.policy_actions[step])} "
            f"({same})")

    # -- keyboard (live mode) -----------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        name = key_name(event.key())
        if self.keyboard is not None and name is not None and not event.isAutoRepeat():
            self.keyboard.press(name)
            if self.lockstep is not None and not self.lockstep.running:
                self.lockstep.start()  # the first key starts the race
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        name = key_name(event.key())
        if self.keyboard is not None and name is not None and not event.isAutoRepeat():
            self.keyboard.release(name)
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        if self.keyboard is not None:
            self.keyboard.release_all()  # key-ups go elsewhere now
        super().focusOutEvent(event)

    # -- helpers ------------------------------------------------------------------------------

    def _teardown(self) -> None:
        if self.lockstep is not None:
            self.lockstep.pause()
            close_run(self.lockstep.run)
            self.lockstep.deleteLater()
        self.lockstep = None
        self.keyboard = None
        self._set_controls(False)

    def _set_controls(self, enabled: bool) -> None:
        for widget in (self.play_button, self.step_button, self.restart_button, self.slider):
            widget.setEnabled(enabled)
        self.export_bar.set_available(enabled)
