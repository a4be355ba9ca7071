"""Failures tab, several ways: where equally good demos split, and what each head makes of it.

Run trains a Gaussian, a mixture and a discretised clone on the opened dataset in the
background (same data, seed and budget; `models.failures.several_ways`), then plays the
Gaussian and the mixture clone from the same reset seeds. Scrubbing an episode of the dataset
then picks a state: its frame, the demos' actions in the most similar states of other episodes
over each head's predicted distribution there, and the state on the maze next to the clones'
paths.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.datasets.episode_timeline import EpisodeTimeline
from clonelab.app.failures.several_ways_plot import ActionPlots, RolloutPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.several_ways import (
    ROLLOUT_HEADS,
    SeveralWaysConfig,
    SeveralWaysProgress,
    SeveralWaysResult,
    check_box_actions,
    head_densities,
    positions,
    several_ways,
)
from clonelab.models.policy import observation_kind
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode import EpisodeData
from clonelab.recorder.errors import one_line

_LABELS = {"steps": "training steps", "hidden": "hidden layers", "rollout_seed": "first seed",
           "rollouts": "rollouts", "neighbours": "neighbours"}


class SeveralWaysPanel(TaskPanel):
    """Train a clone per head, then scrub an episode to compare the demos and the heads."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Train the clones", parent)
        self.form = ConfigForm(SeveralWaysConfig, skip=("seed",), labels=_LABELS)
        self.episode = QSpinBox()
        self.episode.setObjectName("severalWaysEpisode")
        self.episode.valueChanged.connect(self._on_episode_changed)
        self.timeline = EpisodeTimeline()
        self.timeline.slider.valueChanged.connect(self._on_step_changed)
        self.actions = ActionPlots()
        self.maze = RolloutPlot()
        self._result: SeveralWaysResult | None = None
        self._dataset: DemoDataset | None = None
        self._episode: EpisodeData | None = None
        self._episode_id = 0
        self._neighbour_count = SeveralWaysConfig().neighbours

        # The frame and the slider are what picks a state here; the recorded values and the
        # episode's export are the Datasets tab's.
        self.timeline.export_bar.hide()
        self.timeline.observation_table.parentWidget().hide()
        picker = QHBoxLayout()
        picker.addWidget(QLabel("Episode"))
        picker.addWidget(self.episode)
        picker.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.form)
        left.addWidget(self.controls)
        left.addLayout(picker)
        left.addWidget(self.timeline, 1)
        column = QWidget()
        column.setLayout(left)
        column.setMaximumWidth(420)
        pictures = QGridLayout()
        pictures.addWidget(self.maze, 0, 0)
        pictures.setRowStretch(0, 1)
        pictures.setRowStretch(1, 1)
        for number, plot in enumerate(self.actions.plots.values(), start=1):
            pictures.addWidget(plot, number // 2, number % 2)
        key = QLabel(ActionPlots.KEY)
        key.setWordWrap(True)
        pictures.addWidget(key, 2, 0, 1, 2)
        row = QHBoxLayout()
        row.addWidget(column)
        row.addLayout(pictures, 1)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Where demos go two good ways, does the clone pick one or "
                                "average them into a third? Train a clone per head, then pick "
                                "a state on an episode's timeline."))
        layout.addLayout(row, 1)
        layout.addWidget(self.summary)
        workspace.dataset_changed.connect(self._on_dataset_changed)
        self._on_dataset_changed()

    @property
    def result(self) -> SeveralWaysResult | None:
        """The last finished (or cancelled) run: its clones and rollouts."""
        return self._result

    def shutdown(self) -> None:
        """Stop the training and the episode's re-simulation."""
        self.timeline.shutdown()
        super().shutdown()

    # -- the job --------------------------------------------------------------------------------

    def _factory(self) -> WorkFactory:
        config = self.form.config()
        dataset, _ = self.open_inputs(policy=False)
        check_box_actions(dataset.action_space, dataset.env_id)
        self._neighbour_count = config.neighbours
        return lambda cancel: several_ways(config, dataset, cancel=cancel)

    def _on_progress(self, record: SeveralWaysProgress) -> None:
        self.controls.set_progress(record.done, record.total)
        if record.train is not None:
            self.controls.set_status(f"Training the {record.head} clone: step "
                                     f"{record.train.step} of {record.train.total_steps}")
        else:
            self.controls.set_status(f"The {record.head} clone plays")

    def _on_result(self, result: SeveralWaysResult) -> None:
        self._show(result)

    def _on_partial(self, partial: SeveralWaysResult) -> None:
        self._show(partial)

    def _show(self, result: SeveralWaysResult) -> None:
        self._result = result
        self.maze.show_walls(result.walls)
        self.maze.show_rollouts(result.rollouts)
        played = {head: result.rollouts_of(head) for head in ROLLOUT_HEADS}
        rates = [f"{head} clone reached the goal in {sum(r.success for r in rollouts)} of "
                 f"{len(rollouts)}" for head, rollouts in played.items() if rollouts]
        done = "Cancelled: " if result.cancelled else ""
        self.summary.setText(done + ("; ".join(rates) + "." if rates else
                                     f"{len(result.clones)} clones trained, no rollouts."))
        self._on_step_changed()

    # -- picking a state ------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._episode is None:
            self._on_episode_changed()  # the dataset came while the view was hidden

    def _on_dataset_changed(self) -> None:
        self.runner.drop()
        self._result, self._dataset, self._episode = None, None, None
        self.timeline.clear()
        self.summary.setText("")
        try:
            dataset, _ = self.open_inputs(policy=False)
        except Exception as exc:  # noqa: BLE001 - no dataset or an unreadable one: say so
            self.episode.setRange(0, 0)
            self.timeline.clear(one_line(exc))
            return
        self._dataset = dataset
        with QSignalBlocker(self.episode):
            self.episode.setRange(0, max(0, len(dataset.episode_ids) - 1))
            self.episode.setValue(0)
        # The episode is read, and re-simulated for its frames, only when someone looks.
        if self.isVisible():
            self._on_episode_changed()

    def _on_episode_changed(self) -> None:
        dataset = self._dataset
        if dataset is None or not dataset.episode_ids:
            return
        episode_id = dataset.episode_ids[self.episode.value()]
        try:
            episode = dataset.load_episode(episode_id)
        except Exception as exc:  # noqa: BLE001 - an unreadable episode is a message
            self.timeline.clear(f"Episode {episode_id} is unreadable: {one_line(exc)}")
            return
        self._episode, self._episode_id = episode, episode_id
        image = observation_kind(dataset.observation_space) == "image"
        self.timeline.set_episode(dataset.env_id, episode, image_observations=image)
        self._on_step_changed()

    def _on_step_changed(self) -> None:
        dataset, episode, result = self._dataset, self._episode, self._result
        if dataset is None or episode is None or not len(episode.actions):
            return
        # The slider runs to the final observation, which has no action: show the last one's.
        step = min(self.timeline.step(), len(episode.actions) - 1)
        observation = np.asarray(episode.observations[step])
        path = positions(dataset.observation_space, np.asarray(episode.observations))
        self.maze.show_state(path, path[step])
        if result is None or result.neighbours is None or not result.clones:
            return
        near = result.neighbours.nearest(observation, self._neighbour_count,
                                         exclude_episode=self._episode_id)
        self.actions.show_state(head_densities(result.clones, observation), near.actions,
                                np.asarray(episode.actions[step]).reshape(-1),
                                *action_bounds(dataset.action_space, result.neighbours.actions))


def action_bounds(space: gym.Space, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flat action box to draw: the space's bounds, or where unbounded the range of the
    demos' (N, D) `actions` with a margin."""
    low = np.asarray(getattr(space, "low", -np.inf), dtype=float).reshape(-1)
    high = np.asarray(getattr(space, "high", np.inf), dtype=float).reshape(-1)
    if len(actions):
        values = actions.astype(float)
        margin = 0.1 * (values.max(axis=0) - values.min(axis=0)) + 1e-3
        low = np.where(np.isfinite(low), low, values.min(axis=0) - margin)
        high = np.where(np.isfinite(high), high, values.max(axis=0) + margin)
    return low, high
