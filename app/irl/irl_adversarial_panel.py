"""The adversarial half of the Inverse RL tab: AIRL or GAIL from the state's dataset.

`models.irl.adversarial.train_adversarial` runs on a GeneratorWorker and writes `policy.pt` and
`reward.pt` into a folder; its records feed live curves. A finished run's policy becomes the
state's policy (Watch and Compare run it), and its learned reward can be plotted along any
recorded episode next to the true reward.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator
from pathlib import Path

import torch
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.irl.irl_curves import IrlCurves, RewardTracePlot
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.workers import GeneratorWorker
from clonelab.app.window.errors import one_line
from clonelab.app.window.state import AppState
from clonelab.models.irl.adversarial import (
    POLICY_FILE,
    AdversarialConfig,
    IRLProgress,
    IRLResult,
    train_adversarial,
)
from clonelab.models.irl.reward import RewardModel, load_reward, reward_along_episode
from clonelab.models.irl.rl import ppo_preset
from clonelab.models.policy import observation_kind
from clonelab.recorder.dataset import DemoDataset

log = logging.getLogger(__name__)

METHODS = ("airl", "gail")


def adversarial_work(cancel: threading.Event, *, dataset_path: Path, config: AdversarialConfig,
                     out_dir: Path) -> Generator[IRLProgress, None, IRLResult]:
    """Run AIRL or GAIL on the dataset, checkpointing into `out_dir` (a GeneratorWorker's work).

    Torch runs on one thread meanwhile: these networks are small, one thread was several times
    faster on two busy cores, and it leaves a core to the window.
    """
    dataset = DemoDataset.open(dataset_path)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return (yield from train_adversarial(config, dataset, cancel=cancel,
                                             checkpoint_dir=out_dir))
    finally:
        torch.set_num_threads(previous)


class AdversarialPanel(QWidget):
    """Train AIRL or GAIL in the background, plot it live, and trace the learned reward."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._dataset: DemoDataset | None = None
        self._worker: GeneratorWorker | None = None
        self._out_dir: Path | None = None
        self.result: IRLResult | None = None
        self.reward: RewardModel | None = None

        self.dataset_label = MessageLine("irlDatasetLabel")
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(METHODS))
        self.method_combo.setToolTip("AIRL learns a state-only reward g(s); GAIL a classifier of "
                                     "(s, a), the baseline")
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 100_000_000)
        self.steps_spin.setSingleStep(1000)
        self.steps_spin.setValue(AdversarialConfig().steps)
        self.steps_spin.setToolTip("Env steps the policy takes in training")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.save_edit = QLineEdit()
        self.save_edit.setPlaceholderText("a folder next to the dataset, named by date")
        self.run_button = QPushButton("Train")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.metrics_label = QLabel()
        self.message = MessageLine("adversarialMessage")
        self.curves = IrlCurves()
        self.episode_combo = QComboBox()
        self.episode_combo.currentIndexChanged.connect(self.show_episode)
        self.load_reward_button = QPushButton("Load reward...")
        self.load_reward_button.clicked.connect(self._choose_reward)
        self.trace_plot = RewardTracePlot()
        self._build_layout()
        state.dataset_changed.connect(self._load_dataset)
        self._load_dataset(state.dataset_path)

    def _build_layout(self) -> None:
        box = QGroupBox("AIRL / GAIL (vector envs)")
        form = QFormLayout(box)
        form.addRow(self.dataset_label)
        form.addRow("Method", self.method_combo)
        form.addRow("Env steps", self.steps_spin)
        form.addRow("Seed", self.seed_spin)
        form.addRow("Save to", self.save_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        form.addRow(self.progress_bar)
        form.addRow(self.metrics_label)
        form.addRow(self.message)
        trace_box = QGroupBox("Learned reward along an episode")
        trace = QFormLayout(trace_box)
        trace.addRow("Episode", self.episode_combo)
        trace.addRow(self.load_reward_button)
        left = QVBoxLayout()
        left.addWidget(box)
        left.addWidget(trace_box)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMaximumWidth(380)
        right = QVBoxLayout()
        right.addWidget(self.curves, 3)
        right.addWidget(self.trace_plot, 2)
        layout = QHBoxLayout(self)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

    # -- public API ---------------------------------------------------------------------------

    def is_busy(self) -> bool:
        """Whether a run is going."""
        return self._worker is not None

    def start(self) -> GeneratorWorker | None:
        """Check the dataset and the settings, then train in the background."""
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
        try:
            config = AdversarialConfig(
                method=self.method_combo.currentText(),  # type: ignore[arg-type]
                steps=self.steps_spin.value(), seed=self.seed_spin.value(),
                log_every=ppo_preset(dataset.env_id).steps_per_round)
        except ValueError as exc:
            self.message.show_message(f"Fix the settings: {exc}", "error")
            return None
        self._out_dir = self._save_dir(config.method)
        self.result = None
        self.curves.clear_curves()
        self.progress_bar.setRange(0, config.steps)
        self.progress_bar.setValue(0)
        self.metrics_label.setText("")
        self.message.show_message(f"Training {config.method.upper()} on {len(dataset)} "
                                  "episodes...")
        settings = {"dataset_path": dataset.path, "config": config, "out_dir": self._out_dir}
        worker = GeneratorWorker(lambda cancel: adversarial_work(cancel, **settings), self)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(lambda text: self._on_stopped(f"Training failed: {text}", True))
        worker.cancelled.connect(lambda: self._on_stopped("Training cancelled.", False))
        self._worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        worker.start()
        return worker

    def cancel(self) -> None:
        """Stop training before its next rollout."""
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.message.show_message("Cancelling...")

    def shutdown(self) -> None:
        """Cancel and wait for the run (the view is going away)."""
        if self._worker is not None:
            self._worker.stop(10_000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

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
        self.progress_bar.setValue(min(progress.env_steps, progress.total_steps))
        true_return = ("-" if progress.true_return is None
                       else f"{progress.true_return:.1f}")
        self.metrics_label.setText(f"round {progress.rounds}: accuracy "
                                   f"{progress.disc_accuracy:.0%}, true return {true_return}")
        self.curves.add(progress)

    def _on_finished(self, result: IRLResult) -> None:
        self.result = result
        assert self._out_dir is not None
        path = self._out_dir / POLICY_FILE
        self._state.set_policy_path(path)
        self._state.show_status(f"Saved {result.method.upper()} policy {path}")
        self.set_reward(result.reward)
        true_return = result.metrics.true_return
        score = "" if true_return is None else f", true return {true_return:.1f}"
        self._on_stopped(f"{result.method.upper()}: {result.env_steps} env steps in "
                         f"{result.seconds:.1f} s{score}; saved {self._out_dir}.", False)

    def _on_stopped(self, message: str, error: bool) -> None:
        self._worker = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.message.show_message(message, "error" if error else "good")

    # -- data ---------------------------------------------------------------------------------

    def _load_dataset(self, path: Path | None) -> None:
        self._dataset = None
        self.episode_combo.blockSignals(True)
        self.episode_combo.clear()
        self.episode_combo.blockSignals(False)
        if path is None:
            self.dataset_label.show_message("No dataset: open one in the Datasets tab.")
            return
        try:
            dataset = DemoDataset.open(path)
        except Exception as exc:  # noqa: BLE001 - a bad dataset is a message
            self.dataset_label.show_message(f"Cannot open {path}: {one_line(exc)}", "error")
            return
        self._dataset = dataset
        count = len(dataset)
        self.dataset_label.show_message(f"{dataset.path.name}: {count} episode"
                                        f"{'' if count == 1 else 's'} of "
                                        f"{dataset.env_id}, {dataset.total_steps} steps")
        self.episode_combo.blockSignals(True)
        for episode_id in dataset.episode_ids:
            info = dataset.episode_info(episode_id)
            self.episode_combo.addItem(f"episode {episode_id}: {info.steps} steps, "
                                       f"return {info.episode_return:.1f}", episode_id)
        self.episode_combo.blockSignals(False)
        self.show_episode()

    def _save_dir(self, method: str) -> Path:
        text = self.save_edit.text().strip()
        if text:
            return Path(text)
        assert self._dataset is not None
        source = self._dataset.path
        return source.parent / f"{source.stem}-{method}-{time.strftime('%Y%m%d-%H%M%S')}"

    def _choose_reward(self) -> None:
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
