"""The Watch tab: load a policy and watch it play, with what it would do shown live.

A `PlayLoop` steps a `PlaySession` with a `PolicyAgent` as its action source, exactly as a
human plays in the Play tab. Deterministic (argmax / mean) or sampled actions, any speed the
loop allows, and a plot of the policy's action probabilities (Discrete), mean ± std (Box,
Gaussian head) or density per action dimension (Box, mixture or discretised head).
The episode shown exports as an MP4 or a GIF: the policy replayed from the episode's seed at the
env's playing speed (clonelab.app.widgets.video_export_bar).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.play.play_loop import PlayLoop
from clonelab.app.watch.action_plot import ActionPlot, action_labels, box_title
from clonelab.app.watch.live_ood import LiveOodPlot
from clonelab.app.widgets.frame_view import FrameView, beside_plot
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.paced_timer import MAX_SPEED, MIN_SPEED
from clonelab.app.widgets.video_export_bar import VideoExportBar
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.errors import one_line, show_error
from clonelab.app.window.workspace import Workspace
from clonelab.models.agent import PolicyAgent
from clonelab.models.checkpoint import CheckpointError
from clonelab.models.evaluation import check_fits
from clonelab.models.video_export import ExportConfig, export_policy
from clonelab.recorder.action_names import EnvNames, env_names
from clonelab.recorder.catalog import env_fps, make_env
from clonelab.recorder.session import GuardedSession, PlaySession, StepOutcome
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)

_NEXT_EPISODE_MS = 800
# Speed slider positions are hundredths of the speed factor.
_SPEED_SCALE = 100


class WatchView(QWidget):
    """Watch the workspace's policy play the workspace's env."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._env_id: str | None = None  # the env of the loop built last
        self.loop: PlayLoop | None = None
        self.agent: PolicyAgent | None = None
        self._env: Any = None
        self._names = EnvNames()
        self._episodes = 0
        self._episode_seed: int | None = None  # the seed of the episode shown, for export
        self._failed = False

        self.frame = FrameView()
        self.action_plot = ActionPlot()
        self.ood_plot = LiveOodPlot()  # OOD score and uncertainty of each state reached
        self.policy_label = QLabel("No policy loaded")
        self.load_button = QPushButton("Load policy...")
        self.load_button.clicked.connect(self._on_load_clicked)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle)
        self.step_button = QPushButton("Step")
        self.step_button.clicked.connect(self.step_once)
        self.restart_button = QPushButton("New episode")
        self.restart_button.clicked.connect(lambda: self.new_episode())  # not clicked's bool
        self.start_combo = QComboBox()
        self.start_combo.setToolTip(
            "Where episodes start: a random seed, or a demo's start (its reset seed), where "
            "the Compare tab's clone starts; a start the demos never showed is out of their "
            "states from step 0")
        self.start_combo.activated.connect(lambda _index: self.new_episode())
        self.deterministic = QCheckBox("deterministic")
        self.deterministic.setToolTip("Argmax / mean action; off: sample from the policy")
        self.deterministic.setChecked(True)
        self.deterministic.toggled.connect(self._on_deterministic)
        self.repeat = QCheckBox("next episode automatically")
        self.repeat.setChecked(True)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(int(MIN_SPEED * _SPEED_SCALE), int(MAX_SPEED * _SPEED_SCALE))
        self.speed.setValue(_SPEED_SCALE)
        self.speed.setMaximumWidth(160)
        self.speed.valueChanged.connect(self._on_speed)
        self.speed_label = QLabel("1.00x")
        self.message = MessageLine("watchMessage")
        self.export_bar = VideoExportBar(self._export_job, title="Export the episode shown",
                                         message_name="watchExportMessage")
        self._next_timer = QTimer(self)
        self._next_timer.setSingleShot(True)
        self._next_timer.timeout.connect(self._on_next_timeout)

        bar = QHBoxLayout()
        for widget in (self.load_button, self.play_button, self.step_button,
                       self.restart_button, QLabel("from"), self.start_combo,
                       self.deterministic, self.repeat, QLabel("speed"),
                       self.speed, self.speed_label):
            bar.addWidget(widget)
        bar.addStretch(1)
        splitter = beside_plot(self.frame, self.action_plot)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.policy_label)
        layout.addWidget(self.export_bar)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.ood_plot)
        self._set_controls(False)
        workspace.dataset_changed.connect(self._on_dataset_changed)
        workspace.env_changed.connect(self._on_env_changed)
        workspace.policy_changed.connect(self.load)
        self.ood_plot.fit(workspace.dataset, workspace.env_id)
        self._fill_starts()
        self.load()

    # -- public API ---------------------------------------------------------------------------

    def load(self) -> bool:
        """(Re)build the env and the agent from the workspace's env and policy."""
        self._teardown()
        path = self._workspace.policy_path
        env_id = self._env_id = self._workspace.env_id
        if path is None:
            self.message.show_message("Load a policy (or train one in the Train tab) to watch it.")
            return False
        try:
            policy = self._workspace.policy_for(env_id)
            assert policy is not None  # a selected path holds a policy or raises
            env = make_env(env_id, render_mode="rgb_array")
        except Exception as exc:  # noqa: BLE001 - wrong env, damaged file, failing env
            self.message.show_message(one_line(exc), "error")
            return False
        try:
            check_fits(policy, env_id, env.observation_space, env.action_space)
        except ValueError as exc:
            env.close()
            self.message.show_message(str(exc), "error")
            return False
        self._env = env
        self.agent = PolicyAgent(policy, deterministic=self.deterministic.isChecked())
        session = GuardedSession(PlaySession(env, env_id=env_id), self._on_env_failed)
        self.loop = PlayLoop(session, self.agent, env_fps(env_id, env), actor="agent",
                             device="policy", parent=self)
        self.loop.set_speed(self.speed.value() / _SPEED_SCALE)
        self.loop.episode_started.connect(self._on_episode_started)
        self.loop.stepped.connect(self._on_stepped)
        self.loop.episode_finished.connect(self._on_episode_finished)
        self.loop.running_changed.connect(self._on_running_changed)
        entry = self._workspace.entry
        entry = entry if entry is not None and entry.env_id == env_id else None
        self._names = env_names(env_id, entry=entry, env=env)
        self.action_plot.configure(env.action_space, action_labels(
            env.action_space, self._names, entry.keyboard if entry else None))
        self.policy_label.setText(f"{Path(path).name} playing {env_id}")
        self._episodes = 0
        self._set_controls(True)
        self.message.show_message("")
        self.new_episode()
        return True

    def toggle(self) -> None:
        """Play or pause."""
        if self.loop is not None:
            self._failed = False
            self.loop.toggle()

    def step_once(self) -> None:
        """Pause and take one step."""
        if self.loop is not None:
            self.loop.step_once()

    def new_episode(self, seed: int | None = None) -> None:
        """Start a fresh episode (paused) from `seed`, else the start chosen (a demo's seed, or
        a random one)."""
        if self.loop is None:
            return
        self._next_timer.stop()
        self.loop.pause()
        try:
            self.loop.reset(self.start_combo.currentData() if seed is None else seed)
        except Exception as exc:  # noqa: BLE001
            self.message.show_message(f"The env failed to reset: {one_line(exc)}", "error")

    def export_video(self, path: str | Path) -> JobRunner | None:
        """Replay the episode shown from its seed into `path` (.mp4 or .gif), off the UI."""
        return self.export_bar.export(path)

    def _export_job(self, path: Path) -> WorkFactory:
        if self.loop is None or self.agent is None or self._env_id is None:
            raise ValueError("load a policy first")
        seed = self._episode_seed
        if seed is None:
            raise ValueError("start an episode first")
        env_id, policy, names = self._env_id, self.agent.policy, self._names
        # Watch has no recording: the env's playing speed (the catalog's) is its frame rate.
        config = ExportConfig(path=path, fps=env_fps(env_id, self._env),
                              deterministic=self.deterministic.isChecked())

        def work(cancel: Any) -> Any:
            return export_policy(config, env_id, policy, seed, names=names, cancel=cancel)

        return work

    def shutdown(self) -> None:
        """Stop playing and any export, and close the env."""
        self._teardown()
        self.ood_plot.cancel(wait_ms=10_000)
        self.export_bar.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    # -- handlers -----------------------------------------------------------------------------

    def _on_episode_started(self, observation: Any) -> None:
        self._episodes += 1
        self._episode_seed = self.loop.session.seed if self.loop is not None else None
        self._render([f"episode {self._episodes}", "step 0"])
        self._show_distribution(observation)
        self.ood_plot.start_episode(self._start_label())
        if self.agent is not None:
            self.ood_plot.add_state(self.agent.policy, observation)

    def _on_stepped(self, outcome: StepOutcome) -> None:
        fps = self.loop.session.fps if self.loop is not None else float("nan")
        hud = [f"episode {self._episodes}", f"step {outcome.step}",
               f"return {outcome.episode_return:.1f}"]
        if fps == fps:  # not NaN
            hud.append(f"{fps:.0f} steps/s")
        self._render(hud)
        if not (outcome.terminated or outcome.truncated):
            self._show_distribution(outcome.obs)
        if self.agent is not None:
            self.ood_plot.add_state(self.agent.policy, outcome.obs)

    def _on_episode_finished(self, episode: Any) -> None:
        self.frame.set_hud([f"episode {self._episodes} over",
                            f"return {episode.episode_return:.1f} in "
                            f"{plural(episode.steps, 'step')}"])
        if self.repeat.isChecked() and not self._failed:
            self._next_timer.start(_NEXT_EPISODE_MS)

    def _on_running_changed(self) -> None:
        running = self.loop is not None and self.loop.running
        self.play_button.setText("Pause" if running else "Play")

    def _on_next_timeout(self) -> None:
        if self.loop is not None:
            self.new_episode()  # from the start chosen
            self.loop.start()

    def _on_env_failed(self, message: str) -> None:
        self._failed = True
        self.message.show_message(message, "error")

    def _on_deterministic(self, checked: bool) -> None:
        if self.agent is not None:
            self.agent.deterministic = checked

    def _on_speed(self, value: int) -> None:
        factor = value / _SPEED_SCALE
        self.speed_label.setText(f"{factor:.2f}x")
        if self.loop is not None:
            self.loop.set_speed(factor)

    # -- helpers ------------------------------------------------------------------------------

    def _render(self, hud: list[str]) -> None:
        try:
            frame = self._env.render()
        except Exception as exc:  # noqa: BLE001
            self.message.show_message(f"The env cannot render: {one_line(exc)}", "error")
            return
        if frame is not None:
            self.frame.set_frame(frame)
        self.frame.set_hud(hud)

    def _show_distribution(self, observation: Any) -> None:
        if self.agent is None:
            return
        distribution = self.agent.action_distribution(observation)
        chosen = None
        if distribution.probabilities is not None:
            chosen = int(distribution.probabilities.argmax())
            chosen += int(getattr(self._env.action_space, "start", 0))
        self.action_plot.show_distribution(distribution, chosen)
        if distribution.mean is not None:
            self.action_plot.setTitle(box_title(distribution, self._names))

    def _on_dataset_changed(self) -> None:
        self.ood_plot.fit(self._workspace.dataset, self._workspace.env_id)
        self._fill_starts()
        if self._workspace.env_id != self._env_id:
            self.load()  # the dataset brought its env

    def _on_env_changed(self) -> None:
        self.ood_plot.fit(self._workspace.dataset, self._workspace.env_id)
        self.load()

    def _fill_starts(self) -> None:
        # A random start, or the start of a demo of the env watched (its recorded reset seed).
        dataset = self._workspace.dataset
        chosen = self.start_combo.currentData()
        self.start_combo.clear()
        self.start_combo.addItem("a random start", None)
        if dataset is not None and dataset.env_id == self._workspace.env_id:
            for episode_id in dataset.episode_ids:
                seed = dataset.episode_info(episode_id).seed
                if seed is not None:
                    self.start_combo.addItem(f"demo #{episode_id}'s start", seed)
        self.start_combo.setCurrentIndex(max(0, self.start_combo.findData(chosen)))

    def _start_label(self) -> str:
        seed = self.loop.session.seed if self.loop is not None else None
        if seed is not None and seed == self.start_combo.currentData():
            return f"From {self.start_combo.currentText()}"
        return "From a random start" if seed is None else f"From seed {seed}"

    def _teardown(self) -> None:
        self._next_timer.stop()
        if self.loop is not None:
            self.loop.pause()
            self.loop.deleteLater()
        self.loop = None
        self.agent = None
        if self._env is not None:
            self._env.close()
        self._env = None
        self._set_controls(False)

    def _set_controls(self, enabled: bool) -> None:
        for widget in (self.play_button, self.step_button, self.restart_button):
            widget.setEnabled(enabled)
        self.export_bar.set_available(enabled)

    def _on_load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a policy", "", "Policies (*.pt)")
        if path:
            try:
                self._workspace.open_policy(Path(path))
            except CheckpointError as exc:  # the policy shown stays
                show_error(self, "Cannot open the policy", str(exc))
