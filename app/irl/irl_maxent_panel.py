"""The MaxEnt half of the Inverse RL tab: tabular IRL on small grid worlds, shown as a heatmap.

Demos come from the scripted expert (MiniGrid rooms; the optimal policy on FrozenLake) or from
the workspace's dataset when it was recorded in such a world. `models.irl.maxent.train_maxent`
runs on the panel's JobRunner; the learned reward grid and the demos' paths land in a
`RewardHeatmap` when it returns. A dataset runs the pipeline `clonelab irl --method maxent`
runs (`models.irl.pipeline.maxent_pipeline`): same datasets, same defaults, and the policy
distilled from the plan (MiniGrid) is saved in `runs/maxent-<stamp>/` of the dataset's workspace
folder (`recorder.workspace_folder`) and selected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from clonelab.app.irl.reward_heatmap import RewardHeatmap
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.job_panel import JobPanel, side_column
from clonelab.app.widgets.job_runner import JobRunner
from clonelab.app.window.errors import one_line
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError
from clonelab.models.irl import IRLError
from clonelab.models.irl.grid_worlds import WORLDS, GridWorld, expert_demos
from clonelab.models.irl.maxent import MaxEntConfig, MaxEntProgress, MaxEntResult, train_maxent
from clonelab.models.irl.pipeline import IRLRun, maxent_pipeline
from clonelab.recorder.dataset import DemoDataset

log = logging.getLogger(__name__)

FROM_DATASET = "the dataset's episodes"


def maxent_work(cancel: threading.Event, *, world: GridWorld | None, dataset: DemoDataset | None,
                out_dir: Path | None, episodes: int, config: MaxEntConfig, seed: int
                ) -> Generator[MaxEntProgress, None, MaxEntResult | IRLRun]:
    """MaxEnt IRL on the scripted expert's demos in `world`, or on `dataset` (the panel's job).

    A dataset (a MiniGrid room or FrozenLake) runs `clonelab irl --method maxent`'s pipeline
    into `out_dir` and returns its `IRLRun` (the policy saved there); a world returns
    the `MaxEntResult` only. Raises `IRLError` for a world that is not a small grid (the
    message says to use AIRL or GAIL).
    """
    if world is None:
        if dataset is None or out_dir is None:
            raise IRLError("no dataset is open; open one in the Datasets tab or use the expert")
        return (yield from maxent_pipeline(dataset, out_dir, config, seed=seed, cancel=cancel))
    env = world.make()
    try:
        mdp, demos = expert_demos(env, episodes=episodes, seed=seed)
    finally:
        env.close()
    return (yield from train_maxent(mdp, demos, config, cancel=cancel))


class MaxEntPanel(JobPanel):
    """Choose a grid world and its demos, run MaxEnt IRL, show the reward and the paths."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__("Learn reward", message_name="maxentMessage", shutdown_ms=5000,
                         parent=parent)
        self._workspace = workspace
        self.result: MaxEntResult | None = None

        self.source_combo = QComboBox()
        self.source_combo.addItems([world.title for world in WORLDS] + [FROM_DATASET])
        self.source_combo.setToolTip("The scripted expert in one of these worlds, or the "
                                     "episodes of the open dataset (a MiniGrid room or FrozenLake)")
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.episodes_spin = QSpinBox()
        self.episodes_spin.setRange(1, 500)
        self.episodes_spin.setValue(10)
        # The CLI's `clonelab irl --method maxent` flags come from the same config.
        self.form = ConfigForm(MaxEntConfig)
        self.iterations_spin = self.form.editor("iterations")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.runner.progress.connect(self._on_progress)
        self.controls.run_button.clicked.connect(self.start)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(
            lambda text: self._on_stopped(f"MaxEnt IRL failed: {text}", True))
        self.runner.cancelled.connect(
            lambda _partial: self._on_stopped("MaxEnt IRL cancelled.", False))
        self.metrics_label = QLabel()
        self.message = self.controls.message
        self.heatmap = RewardHeatmap()
        self._build_layout()

    def _build_layout(self) -> None:
        box = QGroupBox("MaxEnt IRL (grid worlds)")
        form = QFormLayout(box)
        form.addRow("Demos from", self.source_combo)
        form.addRow("Expert episodes", self.episodes_spin)
        form.addRow("Seed", self.seed_spin)
        form.addRow(self.form)
        form.addRow(self.controls)
        form.addRow(self.metrics_label)
        layout = QHBoxLayout(self)
        layout.addWidget(side_column(box))
        layout.addWidget(self.heatmap, 1)

    def start(self) -> JobRunner | None:
        """Run MaxEnt IRL in the background with the chosen world and budget; the panel's
        runner, or None when nothing started."""
        if self.is_busy():
            return None
        index = self.source_combo.currentIndex()
        world = WORLDS[index] if index < len(WORLDS) else None
        dataset, error = self._workspace.dataset, self._workspace.dataset_error
        if world is None and error is not None:
            self.message.show_message(f"Cannot open the dataset: {one_line(error)}", "error")
            return None
        if world is None and dataset is None:
            self.message.show_message("Open a dataset in the Datasets tab first.", "error")
            return None
        config = self.form_config(self.form)
        if config is None:
            return None
        folder = self._workspace.dataset_folder
        settings = {"world": world, "dataset": dataset, "episodes": self.episodes_spin.value(),
                    "out_dir": folder.new_run("maxent") if folder is not None else None,
                    "config": config, "seed": self.seed_spin.value()}
        self.result = None
        self.metrics_label.setText("")
        self.message.show_message("Playing the demos and learning the reward...")
        # The bar stays busy while the demos are played, until the first iteration.
        self.runner.start(lambda cancel: maxent_work(cancel, **settings))
        return self.runner

    def _on_source_changed(self, index: int) -> None:
        self.episodes_spin.setEnabled(index < len(WORLDS))

    def _on_progress(self, progress: MaxEntProgress) -> None:
        self.controls.set_progress(progress.iteration, progress.total_iterations)
        self.metrics_label.setText(f"feature gap {progress.feature_gap:.3f}, log-likelihood "
                                   f"{progress.log_likelihood:.3f} per step")

    def _on_finished(self, outcome: MaxEntResult | IRLRun) -> None:
        saved = ""
        if isinstance(outcome, IRLRun):
            if outcome.policy_path is not None:
                try:
                    self._workspace.open_policy(outcome.policy_path)
                    saved = f" Saved the policy {outcome.policy_path}."
                except CheckpointError as exc:  # saved, but it does not load
                    saved = f" Saved the policy, but it does not load: {exc}"
            assert isinstance(outcome.result, MaxEntResult)
            outcome = outcome.result
        result = self.result = outcome
        self._on_progress(result.metrics)
        self.heatmap.set_reward(result.reward_grid, result.demo_paths)
        height, width = result.reward_grid.shape
        self._on_stopped(f"{result.mdp.name}: a {width}x{height} reward from "
                         f"{len(result.demo_paths)} demos in {result.seconds:.1f} s.{saved}",
                         False)

    def _on_stopped(self, message: str, error: bool) -> None:
        self.message.show_message(message, "error" if error else "good")
