"""The Train tab: configure behavioral cloning, train in the background, evaluate the clone.

The form is generated from `models.training.TrainConfig`, the dataclass the CLI uses. Training
(`train_bc`) and evaluation (`evaluate`) run on the panel's JobRunner, so the window keeps
drawing; cancel stops training at its next step. The checkpoint is saved with its config and
becomes the state's policy, which the Watch and Compare tabs pick up.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.train.form_relevance import FormRelevance
from clonelab.app.train.preprocessing_line import PreprocessingLine
from clonelab.app.train.process_training import train_in_processes
from clonelab.app.train.train_report import TrainReport, kept_text
from clonelab.app.widgets.config_form import ConfigForm, ConfigFormError
from clonelab.app.widgets.job_panel import JobPanel
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.plot_style import legend_below
from clonelab.app.window.errors import one_line
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError, save_policy
from clonelab.models.device import pick_device
from clonelab.models.evaluation import EvalResult, evaluate
from clonelab.models.training import TrainConfig, TrainProgress, TrainResult, train_bc
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode_selection import EpisodeSubset, all_tags, mean_return, select_ids
from clonelab.recorder.wording import plural

log = logging.getLogger(__name__)


class LossPlot(pg.PlotWidget):
    """Train and validation loss against gradient steps, updated as records arrive."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, title="BC loss")
        self.setBackground("w")
        self.showGrid(x=True, y=True, alpha=0.3)
        self.setLabel("bottom", "step")
        self.setLabel("left", "loss (-log likelihood)")
        self.setMenuEnabled(False)
        self.getAxis("left").enableAutoSIPrefix(False)
        legend_below(self)
        self.train_curve = self.plot([], [], name="train", pen=pg.mkPen((31, 119, 180), width=2))
        self.val_curve = self.plot([], [], name="validation",
                                   pen=pg.mkPen((214, 39, 40), width=2))
        self._train: tuple[list[float], list[float]] = ([], [])
        self._val: tuple[list[float], list[float]] = ([], [])

    def clear_curves(self) -> None:
        """Start a new run."""
        self._train = ([], [])
        self._val = ([], [])
        self.train_curve.setData([], [])
        self.val_curve.setData([], [])

    def add(self, progress: TrainProgress) -> None:
        """Append one record's losses."""
        for value, (xs, ys), curve in ((progress.train_loss, self._train, self.train_curve),
                                       (progress.val_loss, self._val, self.val_curve)):
            if value is not None and math.isfinite(value):
                xs.append(progress.step)
                ys.append(value)
                curve.setData(xs, ys)


class TrainPanel(JobPanel):
    """Train a BC policy on the workspace's dataset and report how the clone does."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("Train", message_name="trainMessage", shutdown_ms=5000, parent=parent)
        self._workspace = workspace
        self._dataset: DemoDataset | None = None
        self._demo_mean = math.nan
        self._config: TrainConfig | None = None
        self._last_progress: TrainProgress | None = None
        self.result: TrainResult | None = None
        self.evaluation: EvalResult | None = None

        self.form = ConfigForm(TrainConfig,
                               labels={"lr": "Learning rate", "hidden": "Hidden layers"})
        self.form.editor("device").currentTextChanged.connect(self._show_device)
        self.device_label = MessageLine("deviceLabel")
        self.preprocessing_line = PreprocessingLine(self.form, workspace)
        self.relevance = FormRelevance(self.form, workspace)
        self.dataset_label = MessageLine("datasetLabel")
        self.use_all = QRadioButton("all episodes")
        self.use_tag = QRadioButton("tagged")
        self.use_min = QRadioButton("return at least")
        self.use_all.setChecked(True)
        self._choice = QButtonGroup(self)
        for button in (self.use_all, self.use_tag, self.use_min):
            self._choice.addButton(button)
            button.toggled.connect(self._update_selection)
        self.tag_combo = QComboBox()
        self.tag_combo.currentTextChanged.connect(self._update_selection)
        self.min_return = QDoubleSpinBox()
        self.min_return.setRange(-1e9, 1e9)
        self.min_return.setDecimals(1)
        self.min_return.valueChanged.connect(self._update_selection)
        self.selection_label = QLabel()
        self.save_edit = QLineEdit()
        self.save_edit.setPlaceholderText("clones/bc-<date>.pt in the dataset's workspace folder")
        browse = QPushButton("...")
        browse.setMaximumWidth(32)
        browse.clicked.connect(self._on_browse_clicked)
        self.processes = QSpinBox()
        self.processes.setRange(1, max(1, os.cpu_count() or 1))
        self.processes.setToolTip(
            "Training processes (torch.distributed): one per GPU, or CPU processes sharing the "
            "cores. Each takes the batch size a step, so the global batch grows with them. "
            "More than 1 runs `clonelab train --nproc N` (docs/scale.md).")
        self.eval_episodes = QSpinBox()
        self.eval_episodes.setRange(0, 1000)
        self.eval_episodes.setValue(10)
        self.eval_episodes.setToolTip("Evaluation episodes after training (0: skip)")
        # Training, then evaluating the clone: two jobs on one runner, told apart by tag.
        self.runner.progress.connect(self._on_progress)
        self.controls.run_button.setDefault(True)
        self.controls.run_button.clicked.connect(self.start_training)
        self.runner.finished.connect(self._on_job_finished)
        self.runner.failed.connect(self._on_job_failed)
        self.runner.cancelled.connect(self._on_job_cancelled)
        self._trained = ""  # the training's report, which the evaluation's verdict extends
        self.progress_bar = self.controls.progress_bar
        self.report = TrainReport()
        self.speed_label = self.report.speed_label
        self.loss_plot = LossPlot()

        self._build_layout(browse)
        self._show_device(self.form.editor("device").currentText())
        workspace.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    def _build_layout(self, browse: QPushButton) -> None:
        data_box = QGroupBox("Demonstrations")
        data = QGridLayout(data_box)
        data.addWidget(self.dataset_label, 0, 0, 1, 2)
        data.addWidget(self.use_all, 1, 0)
        data.addWidget(self.use_tag, 2, 0)
        data.addWidget(self.tag_combo, 2, 1)
        data.addWidget(self.use_min, 3, 0)
        data.addWidget(self.min_return, 3, 1)
        data.addWidget(self.selection_label, 4, 0, 1, 2)
        config_box = QGroupBox("Configuration")
        config = QVBoxLayout(config_box)
        for widget in (self.form, self.preprocessing_line, self.device_label):
            config.addWidget(widget)
        processes_row = QHBoxLayout()
        processes_row.addWidget(QLabel("Processes"))
        processes_row.addWidget(self.processes)
        processes_row.addStretch(1)
        config.addLayout(processes_row)
        out_box = QGroupBox("Output")
        out = QFormLayout(out_box)
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_edit, 1)
        save_row.addWidget(browse)
        out.addRow("Save policy to", save_row)
        out.addRow("Evaluation episodes", self.eval_episodes)
        left = QVBoxLayout()
        for widget in (data_box, config_box, out_box):
            left.addWidget(widget)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.controls)
        right.addWidget(self.report)
        right.addWidget(self.loss_plot, 1)
        layout = QHBoxLayout(self)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMaximumWidth(460)
        layout.addWidget(left_widget)
        layout.addLayout(right, 1)

    # -- public API ---------------------------------------------------------------------------

    def selected_ids(self) -> tuple[int, ...]:
        """The episodes training would use, by the chosen rule."""
        if self._dataset is None:
            return ()
        infos = [self._dataset.episode_info(i) for i in self._dataset.episode_ids]
        if self.use_tag.isChecked():
            return select_ids(infos, tag=self.tag_combo.currentText() or None)
        if self.use_min.isChecked():
            return select_ids(infos, min_return=self.min_return.value())
        return select_ids(infos)

    def start_training(self) -> JobRunner | None:
        """Validate the form and the selection, then train in the background; the panel's
        runner (its signals report the training, then the evaluation), or None."""
        if self.is_busy():
            return None
        try:
            config = self.form.config()
            pick_device(config.device)
        except (ConfigFormError, ValueError) as exc:
            self.message.show_message(f"Fix the configuration: {one_line(exc)}", "error")
            return None
        if self._dataset is None:
            self.message.show_message("Open a dataset in the Datasets tab first.", "error")
            return None
        ids = self.selected_ids()
        if not ids:
            self.message.show_message("No episodes match the selection.", "error")
            return None
        subset = EpisodeSubset(self._dataset, ids)
        self._demo_mean = mean_return(self._dataset.episode_info(i) for i in ids)
        self._config = config
        self.result = None
        self.evaluation = None
        self._last_progress = None
        self._show_bar(None)
        # Beside the busy bar until the first record (frames convert at about 1 ms each),
        # and never the previous run's "Done.".
        steps = sum(self._dataset.episode_info(i).steps for i in ids)
        self.controls.set_status(f"Loading {plural(steps, 'step')}...")
        self.report.reset(config.select_by)
        self.loss_plot.clear_curves()
        self.message.show_message(f"Training on {plural(len(ids), 'episode')}...")
        processes, dataset = self.processes.value(), self._dataset
        if processes > 1:
            chosen = None if ids == dataset.episode_ids else ids
            self.runner.start(lambda cancel: train_in_processes(
                config, dataset.path, processes, chosen, cancel), tag="train")
        else:
            self.runner.start(lambda cancel: train_bc(config, subset, cancel=cancel),
                              tag="train")
        return self.runner

    # -- training -----------------------------------------------------------------------------

    def _on_progress(self, progress: TrainProgress) -> None:
        if progress.loaded is not None:  # frames still being converted: no figures yet
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(1000 * progress.loaded))
            self.progress_bar.setFormat(f"loading frames {100 * progress.loaded:.0f}%")
            return
        if self._last_progress is None:
            self.controls.set_status("")  # loaded: the bar says where training is
        self._last_progress = progress
        self._show_bar(progress)
        self.report.show_progress(progress)
        self.loss_plot.add(progress)

    def _show_bar(self, progress: TrainProgress | None, before_first: str = "starting") -> None:
        """The bar at `progress`; without a record of this run, `before_first` and no figures."""
        if progress is None:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat(before_first)
            return
        self.progress_bar.setRange(0, progress.total_steps)
        self.progress_bar.setValue(progress.step)
        self.progress_bar.setFormat(f"step %v / %m  (epoch {progress.epoch:.1f})")

    def _on_job_finished(self, result: Any) -> None:
        if self.runner.tag == "train":
            self._on_trained(result)
        else:
            self._on_evaluated(result)

    def _on_job_failed(self, message: str) -> None:
        if self.runner.tag == "train":
            self._on_stopped(f"Training failed: {message}", True)
        else:
            self._on_stopped(f"{self._trained} Evaluation failed: {message}", True)

    def _on_job_cancelled(self, partial: Any) -> None:
        if self.runner.tag == "train":
            if isinstance(partial, TrainResult):  # its figures, not the last record's
                self._on_progress(partial.metrics)
            self._on_stopped("Training cancelled.", False)
        else:
            self._on_stopped(self._trained + " Evaluation cancelled.", False)

    def _on_trained(self, result: TrainResult) -> None:
        self.result = result
        path = self._save_path()
        try:
            assert self._config is not None
            path.parent.mkdir(parents=True, exist_ok=True)  # the workspace folder, when first used
            save_policy(path, result.policy, self._config,
                        dataset_fingerprint=result.dataset_fingerprint)
        except Exception as exc:  # noqa: BLE001 - a failed save is reported, the run is kept
            self._on_stopped(f"Trained, but saving failed: {one_line(exc)}", True)
            return
        try:
            self._workspace.open_policy(path)
        except CheckpointError as exc:  # saved, but it does not load (NaN weights, say)
            self._on_stopped(f"Trained and saved, but the policy does not load: {exc}", True)
            return
        self._workspace.show_status(f"Saved policy {path.name}")
        done = (f"Trained {result.metrics.step} steps in {result.seconds:.1f} s on "
                f"{result.device} ({result.samples_per_s:,.0f} samples/s); saved {path}. "
                + kept_text(result))
        episodes = self.eval_episodes.value()
        if episodes == 0:
            self._on_stopped(done, False)
            return
        self.message.show_message(done + f" Evaluating on {plural(episodes, 'episode')}...")
        self._trained = done
        env_id, seed, policy = result.env_id, self._config.seed, result.policy
        self.runner.start(lambda _cancel: evaluate(policy, env_id, episodes=episodes, seed=seed),
                           tag="evaluate")

    def _on_evaluated(self, evaluation: EvalResult) -> None:
        self.evaluation = evaluation
        verdict = (f"Clone: mean return {evaluation.return_mean:.1f} ± {evaluation.return_std:.1f}"
                   f" over {plural(evaluation.episodes, 'episode')}; demos: {self._demo_mean:.1f}.")
        self._on_stopped(f"{self._trained}\n{verdict}", False)

    def _on_stopped(self, message: str, error: bool) -> None:
        self._show_bar(self._last_progress, "no steps trained")
        self.report.show_stopped()
        self.message.show_message(message, "error" if error else "note")

    # -- data and form ------------------------------------------------------------------------

    def _on_dataset_changed(self) -> None:
        self._dataset = self._workspace.dataset
        error = self._workspace.dataset_error
        if error is not None:
            self.dataset_label.show_message(
                f"Cannot open {self._workspace.dataset_path}: {one_line(error)}", "error")
            self._update_selection()
            return
        dataset = self._dataset
        if dataset is None:
            self.dataset_label.show_message("No dataset: open one in the Datasets tab.")
        else:
            self.dataset_label.show_message(
                f"{dataset.path.name}: {plural(len(dataset), 'episode')} of {dataset.env_id}, "
                f"{plural(dataset.total_steps, 'step')}")
        tags = all_tags(dataset.episode_info(i) for i in dataset.episode_ids) if dataset else []
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItems(tags)
        self.tag_combo.blockSignals(False)
        self._update_selection()

    def _update_selection(self, *_: Any) -> None:
        ids = self.selected_ids()
        if self._dataset is None:
            self.selection_label.setText("")
            return
        steps = sum(self._dataset.episode_info(i).steps for i in ids)
        mean = mean_return(self._dataset.episode_info(i) for i in ids)
        self.selection_label.setText(f"{plural(len(ids), 'episode')}, {plural(steps, 'step')}, "
                                     f"mean return {mean:.1f}" if ids else "no episodes chosen")

    def _show_device(self, name: str) -> None:
        try:
            device = pick_device(name)
        except ValueError as exc:
            self.device_label.show_message(str(exc), "error")
            return
        auto = "  (auto: CUDA, then MPS, else CPU)" if name == "auto" else ""
        self.device_label.show_message(f"Trains on: {device.type.upper()}{auto}")

    def _save_path(self) -> Path:
        text = self.save_edit.text().strip()
        if text:
            return Path(text)
        folder = self._workspace.dataset_folder
        assert folder is not None  # a dataset is open
        return folder.new_clone()

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the policy as", "",
                                              "CloneLab policies (*.pt)")
        if path:
            self.save_edit.setText(path)

