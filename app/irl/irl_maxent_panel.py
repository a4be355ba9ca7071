"""The MaxEnt half of the Inverse RL tab: tabular IRL on small grid worlds, shown as a heatmap.

Demos come from the scripted expert (MiniGrid rooms; the optimal policy on FrozenLake) or from
the state's dataset when it was recorded in such a world. `models.irl.maxent.train_maxent`
runs on a GeneratorWorker; the learned reward grid and the demos' paths land in a
`RewardHeatmap` when it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.irl.reward_heatmap import RewardHeatmap
from clonelab.app.widgets.message_line import MessageLine
from clonelab.app.widgets.workers import GeneratorWorker
from clonelab.app.window.state import AppState
from clonelab.models.irl import IRLError
from clonelab.models.irl.maxent import MaxEntConfig, MaxEntProgress, MaxEntResult, train_maxent
from clonelab.models.irl.tabular import (
    TabularMDP,
    dataset_demos,
    frozen_lake_demos,
    frozen_lake_mdp,
    minigrid_demos,
    minigrid_mdp,
)
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import make_expert

log = logging.getLogger(__name__)

FROM_DATASET = "the dataset's episodes"


@dataclass(frozen=True, kw_only=True)
class GridWorld:
    """A world the scripted expert can demonstrate in: an env id and the kwargs it is built with."""

    title: str
    env_id: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    def make(self) -> gym.Env:
        """Build the env."""
        return make_env(self.env_id, **dict(self.kwargs))


WORLDS = (
    GridWorld(title="FrozenLake 4x4", env_id="FrozenLake-v1",
              kwargs=(("is_slippery", False), ("map_name", "4x4"))),
    GridWorld(title="FrozenLake 8x8", env_id="FrozenLake-v1",
              kwargs=(("is_slippery", False), ("map_name", "8x8"))),
    # Random start cells and headings, so that the demos cover many states.
    GridWorld(title="MiniGrid empty room 5x5", env_id="MiniGrid-Empty-5x5-v0",
              kwargs=(("agent_start_pos", None),)),
    GridWorld(title="MiniGrid empty room 8x8", env_id="MiniGrid-Empty-8x8-v0",
              kwargs=(("agent_start_pos", None),)),
)


def _is_frozen_lake(env: gym.Env) -> bool:
    return hasattr(env.unwrapped, "desc") and hasattr(env.unwrapped, "P")


def _expert_demos(env: gym.Env, *, episodes: int, seed: int) -> tuple[TabularMDP, list]:
    env.reset(seed=seed)
    if _is_frozen_lake(env):
        mdp = frozen_lake_mdp(env)
        return mdp, frozen_lake_demos(env, mdp, episodes=episodes, seed=seed)
    mdp = minigrid_mdp(env)
    expert = make_expert(env, seed=seed)
    return mdp, minigrid_demos(env, mdp, lambda: expert.act(None), episodes=episodes, seed=seed)


def _recorded_demos(env: gym.Env, dataset: DemoDataset, *, seed: int) -> tuple[TabularMDP, list]:
    episodes = [dataset.load_episode(i) for i in dataset.episode_ids]
    if not episodes:
        raise IRLError(f"dataset for {dataset.env_id} has no episodes; record some first")
    env.reset(seed=seed)
    if _is_frozen_lake(env):
        # FrozenLake's observation is the state index itself.
        return frozen_lake_mdp(env), [np.asarray(e.observations, dtype=np.int64)
                                      for e in episodes]
    return (mdp := minigrid_mdp(env)), dataset_demos(env, mdp, episodes)


def maxent_work(cancel: threading.Event, *, world: GridWorld | None, dataset_path: Path | None,
                episodes: int, iterations: int, seed: int
                ) -> Generator[MaxEntProgress, None, MaxEntResult]:
    """Build the world and its demos, then run MaxEnt IRL (a GeneratorWorker's work).

    `world` None takes the demos from the dataset at `dataset_path`. Raises `IRLError` for a
    world that is not a small grid (the message says to use AIRL or GAIL).
    """
    dataset = DemoDataset.open(dataset_path) if world is None and dataset_path else None
    if world is None and dataset is None:
        raise IRLError("no dataset is open; open one in the Datasets tab or use the expert")
    env = world.make() if world is not None else make_env(dataset.env_id)
    try:
        if not (_is_frozen_lake(env) or env.spec is not None and "MiniGrid" in env.spec.id):
            raise IRLError(f"{env.spec.id if env.spec else env}: MaxEnt IRL here is tabular and "
                           "needs a MiniGrid room or FrozenLake; use AIRL or GAIL for vector envs")
        if dataset is not None:
            mdp, demos = _recorded_demos(env, dataset, seed=seed)
        else:
            mdp, demos = _expert_demos(env, episodes=episodes, seed=seed)
    finally:
        env.close()
    config = MaxEntConfig(iterations=iterations, log_every=max(1, iterations // 50))
    return (yield from train_maxent(mdp, demos, config, cancel=cancel))


class MaxEntPanel(QWidget):
    """Choose a grid world and its demos, run MaxEnt IRL, show the reward and the paths."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._worker: GeneratorWorker | None = None
        self.result: MaxEntResult | None = None

        self.source_combo = QComboBox()
        self.source_combo.addItems([world.title for world in WORLDS] + [FROM_DATASET])
        self.source_combo.setToolTip("The scripted expert in one of these worlds, or the "
                                     "episodes of the open dataset (a MiniGrid room or FrozenLake)")
        self.source_combo.currentIndexChanged.connect(self._on_source_changed)
        self.episodes_spin = QSpinBox()
        self.episodes_spin.setRange(1, 500)
        self.episodes_spin.setValue(10)
        self.iterations_spin = QSpinBox()
        self.iterations_spin.setRange(1, 100_000)
        self.iterations_spin.setValue(200)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.run_button = QPushButton("Learn reward")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.metrics_label = QLabel()
        self.message = MessageLine("maxentMessage")
        self.heatmap = RewardHeatmap()
        self._build_layout()

    def _build_layout(self) -> None:
        box = QGroupBox("MaxEnt IRL (grid worlds)")
        form = QFormLayout(box)
        form.addRow("Demos from", self.source_combo)
        form.addRow("Expert episodes", self.episodes_spin)
        form.addRow("Iterations", self.iterations_spin)
        form.addRow("Seed", self.seed_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        form.addRow(self.progress_bar)
        form.addRow(self.metrics_label)
        form.addRow(self.message)
        left = QVBoxLayout()
        left.addWidget(box)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMaximumWidth(380)
        layout = QHBoxLayout(self)
        layout.addWidget(left_widget)
        layout.addWidget(self.heatmap, 1)

    def is_busy(self) -> bool:
        """Whether a run is going."""
        return self._worker is not None

    def start(self) -> GeneratorWorker | None:
        """Run MaxEnt IRL in the background with the chosen world and budget."""
        if self.is_busy():
            return None
        index = self.source_combo.currentIndex()
        world = WORLDS[index] if index < len(WORLDS) else None
        dataset_path = self._state.dataset_path
        if world is None and dataset_path is None:
            self.message.show_message("Open a dataset in the Datasets tab first.", "error")
            return None
        settings = {"world": world, "dataset_path": dataset_path,
                    "episodes": self.episodes_spin.value(),
                    "iterations": self.iterations_spin.value(), "seed": self.seed_spin.value()}
        self.result = None
        self.progress_bar.setRange(0, 0)  # busy while the demos are played
        self.metrics_label.setText("")
        self.message.show_message("Playing the demos and learning the reward...")
        worker = GeneratorWorker(lambda cancel: maxent_work(cancel, **settings), self)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(lambda text: self._on_stopped(f"MaxEnt IRL failed: {text}", True))
        worker.cancelled.connect(lambda: self._on_stopped("MaxEnt IRL cancelled.", False))
        self._worker = worker
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        worker.start()
        return worker

    def cancel(self) -> None:
        """Stop the run at its next iteration."""
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """Cancel and wait for the run (the view is going away)."""
        if self._worker is not None:
            self._worker.stop(5000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)

    def _on_source_changed(self, index: int) -> None:
        self.episodes_spin.setEnabled(index < len(WORLDS))

    def _on_progress(self, progress: MaxEntProgress) -> None:
        self.progress_bar.setRange(0, progress.total_iterations)
        self.progress_bar.setValue(progress.iteration)
        self.metrics_label.setText(f"feature gap {progress.feature_gap:.3f}, log-likelihood "
                                   f"{progress.log_likelihood:.3f} per step")

    def _on_finished(self, result: MaxEntResult) -> None:
        self.result = result
        self._on_progress(result.metrics)
        self.heatmap.set_reward(result.reward_grid, result.demo_paths)
        height, width = result.reward_grid.shape
        self._on_stopped(f"{result.mdp.name}: a {width}x{height} reward from "
                         f"{len(result.demo_paths)} demos in {result.seconds:.1f} s.", False)

    def _on_stopped(self, message: str, error: bool) -> None:
        self._worker = None
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.message.show_message(message, "error" if error else "good")
