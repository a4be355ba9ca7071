"""The adversarial half of the Inverse RL tab: AIRL or GAIL from the state's dataset.

`models.irl.adversarial.train_adversarial` runs on the panel's JobRunner and writes `policy.pt`
and `reward.pt` into a folder (a cancelled run too: what it learned so far); its records feed
live curves. A finished run's policy becomes the state's policy (Watch and Compare run it), and
its learned reward can be plotted along any recorded episode next to the true reward.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator
from pathlib import Path

import torch
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.irl.irl_curves import IrlCurves, RewardTracePlot
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.job_panel import JobPanel, side_column
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.window.errors import one_line
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError
from clonelab.models.irl.adversarial import (
    POLICY_FILE,
    AdversarialConfig,
    IRLProgress,
    IRLResult,
)
from clonelab.models.irl.pipeline import adversarial_pipeline
from clonelab.models.irl.reward import RewardModel, load_reward, reward_along_episode
from clonelab.models.policy import observation_kind
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)

def adversarial_work(cancel: threading.Event, *, dataset: DemoDataset, config: AdversarialConfig,
                     out_dir: Path) -> Generator[IRLProgress, None, IRLResult]:
    """AIRL or GAIL on the dataset into `out_dir`, as `clonelab irl` runs it (a worker's work).

    Torch runs on one thread meanwhile: these networks are small, one thread was several times
    faster on two busy cores, and it leaves a core to the window.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run = yield from adversarial_pipeline(dataset, out_dir, config, cancel=cancel)
        assert isinstance(run.result, IRLResult)
        return run.result
    finally:
        torch.set_num_threads(previous)


class AdversarialPanel(JobPanel):
    """Train AIRL or GAIL in the background, plot it live, and trace the learned reward."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("Train", message_name="adversarialMessage", parent=parent)
        self._workspace = workspace
        self._dataset: DemoDataset | None = None
        self._out_dir: Path | None = None
        self.result: IRLResult | None = None
        self.reward: RewardModel | None = None

        self.dataset_label = MessageLine("irlDatasetLabel")
        # The CLI's `clonelab irl` flags come from the same config: same fields, same defaults.
        self.form = ConfigForm(AdversarialConfig, skip=("ppo",),
                               labels={"steps": "Env steps", "disc_lr": "Discriminator lr"})
        self.method_combo = self.form.editor("method")
        self.steps_spin = self.form.editor("steps")
        self.seed_spin = self.form.editor("seed")
        self.save_edit = QLineEdit()
        self.save_edit.setPlaceholderText("runs/<method>-<date> in the dataset's workspace folder")
        self.runner.progress.connect(self._on_progress)
        self.controls.run_button.clicked.connect(self.start)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(
            lambda text: self._on_stopped(f"Training failed: {text}", True))
        self.runner.cancelled.connect(self._on_cancelled)
        self.metrics_label = QLabel()
        self.curves = IrlCurves()
        self.episode_combo = QComboBox()
        self.episode_combo.currentIndexChanged.connect(self.show_episode)
        self.load_reward_button = QPushButton("Load reward...")
        self.load_reward_button.clicked.connect(self._on_load_reward_clicked)
        self.trace_plot = RewardTracePlot()
        self._build_layout()
        workspace.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    def _build_layout(self) -> None:
        box = QGroupBox("AIRL / GAIL (vector envs)")
        form = QFormLayout(box)
        form.addRow(self.dataset_label)
        form.addRow(self.form)
        form.addRow("Save to", self.save_edit)
        form.addRow(self.controls)
        form.addRow(self.metrics_label)
        trace_box = QGroupBox("Learned reward along an episode")
        trace = QFormLayout(trace_box)
        trace.addRow("Episode", self.episode_combo)
        trace.addRow(self.load_reward_button)
        right = QVBoxLayout()
        right.addWidget(self.curves, 3)
        right.addWidget(self.trace_plot, 2)
        layout = QHBoxLayout(self)
        layout.addWidget(side_column(box, trace_box))
        layout.addLayout(right, 1)

    # -- public API ---------------------------------------------------------------------------

    def start(self) -> JobRunner | None:
        """Check the dataset and the settings, then train in the background; the panel's
        runner, or None when nothing started."""
        if self.is_busy():
            return None
        dataset = self._dataset
        if dataset is None:
            self.message.show_message("Open a CloneLab dataset of a vector env (CartPole, "
                                      "LunarLander, Pendulum) in the Datasets tab first.", "error")
            return None
        if observation_kind(dataset.observation_space) != "vector":
            self.message.show_message(f"{dataset.env_id} has image observations: AIRL and GAIL "
                                      "here take vector envs; use MaxEnt for grid worlds.",
                                      "error")
            return None
        config = self.form_config(self.form)
        if config is None:
            return None
        self._out_dir = self._save_dir(config.method)
        self.result = None
        self.curves.clear_curves()
        self.metrics_label.setText("")
        self.message.show_message(f"Training {config.method.upper()} on {len(dataset)} "
                                  "episodes...")
        settings = {"dataset": dataset, "config": config, "out_dir": self._out_dir}
        self.runner.start(lambda cancel: adversarial_work(cancel, **settings))
        self.controls.set_progress(0, config.steps)
        return self.runner

    def set_reward(self, reward: RewardModel) -> None:
        """Use `reward` for the episode plot, and plot the chosen episode."""
        self.reward = reward
        self.show_episode()

    def show_episode(self, *_: object) -> None:
        """Plot the learned and the true reward along the chosen episode."""
        episode_id = self.episode_combo.currentData()
        if self.reward is None or self._dataset is None or episode_id is None:
            return
        try:
            trace = reward_along_episode(self.reward, self._dataset.load_episode(episode_id))
        except Exception as exc:  # noqa: BLE001 - a damaged episode or a foreign reward
            self.message.show_message(f"Cannot score episode {episode_id}: {one_line(exc)}",
                                      "error")
            return
        self.trace_plot.set_trace(trace.learned, trace.true)

    # -- training -----------------------------------------------------------------------------

    def _on_progress(self, progress: IRLProgress) -> None:
        self.controls.set_progress(progress.env_steps, progress.total_steps)
        true_return = ("-" if progress.true_return is None
                       else f"{progress.true_return:.1f}")
        self.metrics_label.setText(f"round {progress.rounds}: accuracy "
                                   f"{progress.disc_accuracy:.0%}, true return {true_return}")
        self.curves.add(progress)

    def _on_finished(self, result: IRLResult) -> None:
        self.result = result
        assert self._out_dir is not None
        path = self._out_dir / POLICY_FILE
        try:
            self._workspace.open_policy(path)
        except CheckpointError as exc:  # saved, but it does not load (NaN weights, say)
            self._on_stopped(f"Trained and saved, but the policy does not load: {exc}", True)
            return
        self._workspace.show_status(f"Saved {result.method.upper()} policy {path}")
        self.set_reward(result.reward)
        true_return = result.metrics.true_return
        score = "" if true_return is None else f", true return {true_return:.1f}"
        self._on_stopped(f"{result.method.upper()}: {result.env_steps} env steps in "
                         f"{result.seconds:.1f} s{score}; saved {self._out_dir}.", False)

    def _on_cancelled(self, partial: IRLResult | None) -> None:
        # The pipeline saved what the cancelled run learned; it does not become the policy.
        if partial is None or self._out_dir is None:
            self._on_stopped("Training cancelled.", False)
            return
        self._on_stopped(f"Training cancelled after {partial.env_steps} env steps; its policy "
                         f"and reward so far are saved in {self._out_dir}.", False)

    def _on_stopped(self, message: str, error: bool) -> None:
        self.message.show_message(message, "error" if error else "good")

    # -- data ---------------------------------------------------------------------------------

    def _on_dataset_changed(self) -> None:
        self._dataset = None
        self.episode_combo.blockSignals(True)
        self.episode_combo.clear()
        self.episode_combo.blockSignals(False)
        path, error = self._workspace.dataset_path, self._workspace.dataset_error
        if error is not None:
            self.dataset_label.show_message(f"Cannot open {path}: {one_line(error)}", "error")
            return
        dataset = self._workspace.dataset
        if dataset is None:
            self.dataset_label.show_message("No dataset: open one in the Datasets tab.")
            return
        self._dataset = dataset
        count = len(dataset)
        self.dataset_label.show_message(f"{dataset.path.name}: {plural(count, 'episode')} of "
                                        f"{dataset.env_id}, {plural(dataset.total_steps, 'step')}")
        self.episode_combo.blockSignals(True)
        for episode_id in dataset.episode_ids:
            info = dataset.episode_info(episode_id)
            self.episode_combo.addItem(f"episode {episode_id}: {plural(info.steps, 'step')}, "
                                       f"return {info.episode_return:.1f}", episode_id)
        self.episode_combo.blockSignals(False)
        self.show_episode()

    def _save_dir(self, method: str) -> Path:
        text = self.save_edit.text().strip()
        if text:
            return Path(text)
        folder = self._workspace.dataset_folder
        assert folder is not None  # a dataset is open
        return folder.new_run(method)

    def _on_load_reward_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a learned reward", "",
                                              "CloneLab rewards (reward.pt *.pt)")
        if path:
            self.open_reward(Path(path))

    def open_reward(self, path: Path) -> bool:
        """Load a saved reward file for the episode plot; a bad file is a message."""
        try:
            reward = load_reward(path)
        except Exception as exc:  # noqa: BLE001 - CheckpointError and friends
            self.message.show_message(f"Cannot load the reward: {one_line(exc)}", "error")
            return False
        if self._dataset is not None and reward.spec.env_id != self._dataset.env_id:
            self.message.show_message(f"{path.name} was learned on {reward.spec.env_id}, the "
                                      f"dataset is {self._dataset.env_id}.", "error")
            return False
        self.set_reward(reward)
        return True
