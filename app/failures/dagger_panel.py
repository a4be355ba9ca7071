"""Failures tab, DAgger with the scripted expert against BC at equal expert labels.

The form sets a `models.failures.dagger.DaggerConfig`; `run_dagger` runs on the panel's
`JobRunner` and each finished iteration adds a point per curve to the live plot. DAgger's last
clone (after a cancel: its clone so far) can be saved and selected, so the Watch and Compare
views show where it now stays near the demos.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.failures.failure_plots import DaggerPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError, save_policy
from clonelab.models.failures.dagger import (
    DEFAULT_TRAIN,
    DaggerConfig,
    DaggerProgress,
    DaggerResult,
    run_dagger,
)
from clonelab.models.training import TrainConfig
from clonelab.recorder.experts import EXPERT_ENV_IDS, has_expert
from clonelab.recorder.wording import plural

_LABELS = {"episodes_per_iter": "episodes per iteration", "steps": "training steps",
           "hidden": "hidden layers", "max_episode_steps": "max steps per episode"}


class DaggerPanel(TaskPanel):
    """The DAgger form, Run / Cancel with progress, the live plot and "use DAgger's clone"."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Run DAgger", parent)
        # Generated from the configs `clonelab dagger` reads: same fields, same defaults.
        self.form = ConfigForm(DaggerConfig, initial=DaggerConfig(env_id=workspace.env_id),
                               skip=("env_id", "train"), labels=_LABELS)
        self.train_form = ConfigForm(TrainConfig, initial=DEFAULT_TRAIN, skip=("seed",),
                                     labels=_LABELS)
        self.plot = DaggerPlot()
        self.save_button = QPushButton("Save DAgger's clone...")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.result: DaggerResult | None = None
        # A cancelled run's clones so far: not a result to report, but its clone can be saved.
        self.partial: DaggerResult | None = None
        form = QFormLayout()
        form.addRow(self.form)
        form.addRow(QLabel("Every clone (DAgger's and the baseline's):"))
        form.addRow(self.train_form)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.controls)
        side.addWidget(self.save_button)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(side)
        body.addWidget(self.plot, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "DAgger: the clone plays, the scripted expert labels the states it reaches, and a "
            "new clone trains on every label so far. BC gets as many expert labels, from "
            "expert demos only."))
        layout.addLayout(body, 1)
        layout.addWidget(self.summary)

    def config(self) -> DaggerConfig:
        """The forms as a `DaggerConfig` for the workspace's env (ValueError: no expert)."""
        env_id = self.workspace.env_id
        if not has_expert(env_id):
            raise ValueError(f"DAgger needs a scripted expert; {env_id} has none (experts: "
                             f"{', '.join(EXPERT_ENV_IDS)}).")
        config: DaggerConfig = self.form.config()
        return dataclasses.replace(config, env_id=env_id).with_train(self.train_form.config())

    def save_clone(self, path: str | Path) -> Path | None:
        """Save DAgger's last clone to `path` and make it the workspace's policy."""
        run = self.result or self.partial
        if run is None or run.policy is None:
            return None
        saved = save_policy(path, run.policy, run.config.train,
                            dataset_fingerprint=run.data.fingerprint())
        try:
            self.workspace.open_policy(Path(saved))
        except CheckpointError as exc:  # saved, but it does not load (NaN weights, say)
            self.message.show_message(f"Saved DAgger's clone, but it does not load: {exc}",
                                      "error")
            return Path(saved)
        self.message.show_message(f"Saved DAgger's clone to {saved}; it is the policy the "
                                  "Watch and Compare tabs use now.", "good")
        return Path(saved)

    def _factory(self) -> WorkFactory:
        config = self.config()
        self.result = self.partial = None
        self.save_button.setEnabled(False)
        self.plot.reset()
        self.summary.setText("")
        self.controls.set_status(f"Iteration 0 of {config.iterations}...")
        return lambda cancel: run_dagger(config, cancel=cancel)

    def _on_progress(self, record: DaggerProgress) -> None:
        self.controls.set_progress(record.iteration + 1, record.iterations)
        self.plot.add(record)
        bc = "" if record.bc_return is None else f", BC {record.bc_return:.1f}"
        dagger = "not scored" if record.dagger_return is None else f"{record.dagger_return:.1f}"
        self.controls.set_status(
            f"Iteration {record.iteration + 1} of {record.iterations}: "
            f"{plural(record.labels, 'label')}, "
            f"DAgger {dagger}{bc} ({record.elapsed_s:.0f} s)")

    def _on_result(self, result: DaggerResult) -> None:
        self.result = result
        self.save_button.setEnabled(result.policy is not None)
        summary = result.summary()
        if summary["dagger_return"] is None:
            return
        text = (f"After {plural(summary['iterations'], 'iteration')} and "
                f"{plural(summary['label_counts'][-1], 'expert label')}: DAgger returns "
                f"{summary['dagger_return']:.1f}")
        if summary["bc_return"] is not None:
            text += f", BC on as many labels {summary['bc_return']:.1f}"
        self.summary.setText(text + ".")

    def _on_partial(self, partial: DaggerResult) -> None:
        if partial.policy is None:
            return
        self.partial = partial
        self.save_button.setEnabled(True)
        self.message.show_message(
            f"Cancelled after {len(partial.history)} of "
            f"{plural(partial.config.iterations, 'iteration')}; "
            "the clone so far can still be saved.")

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save DAgger's clone", "dagger.pt",
                                              "Policies (*.pt)")
        if path:
            self.save_clone(path)
