"""Failures tab, imperfect experts: a clone per subset of the demos, compared in one plot.

Subsets by tag, by noise level ("noise=<p>" tags), by operator or by return bins
(`models.failures.subsets.group_episodes`); every clone trains with the same config and is
evaluated on the same seeded starts (`models.failures.subsets.compare_subsets`).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from clonelab.app.failures.failure_plots import SubsetPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.subsets import (
    SubsetComparison,
    SubsetProgress,
    SubsetsConfig,
    compare_subsets,
    group_episodes,
)
from clonelab.recorder.wording import plural

_LABELS = {"group_by": "group by", "bins": "return bins", "eval_episodes": "evaluation episodes"}


class SubsetsPanel(TaskPanel):
    """Group the dataset's episodes, train a clone per group, plot the clones' returns."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Train and compare", parent)
        self.form = ConfigForm(SubsetsConfig, skip=("train", "eval_seed"), labels=_LABELS)
        # Every clone trains with the config's TrainConfig; only its length is asked here.
        self.train_steps = QSpinBox()
        self.train_steps.setRange(10, 1_000_000)
        self.train_steps.setSingleStep(500)
        self.train_steps.setValue(SubsetsConfig().train.total_steps(0))
        self.plot = SubsetPlot()
        self._lay_out("Which demos make the better clone? Train one per subset (same settings) "
                      "and evaluate each from the same starts.",
                      [self.form, QLabel("training steps"), self.train_steps], self.plot)

    def _factory(self) -> WorkFactory:
        steps = self.train_steps.value()
        config = self.form.config()
        config = replace(config, train=replace(config.train, steps=steps,
                                               log_every=max(1, steps // 10)))
        dataset, _ = self.open_inputs(policy=False)
        groups = group_episodes(dataset, config.group_by, bins=config.bins)
        if not groups:
            raise ValueError(f"No episode has a {config.group_by} to group by; choose another "
                             "grouping.")
        self.controls.set_status(f"{len(groups)} subsets: {', '.join(groups)}")
        return lambda cancel: compare_subsets(config, dataset, groups, cancel=cancel)

    def _on_progress(self, record: SubsetProgress) -> None:
        total = record.train.total_steps
        self.controls.set_progress(record.subset * total + record.train.step,
                                   record.subsets * total)
        self.controls.set_status(
            f"Subset {record.subset + 1} of {record.subsets} ({record.label}): step "
            f"{record.train.step} of {record.train.total_steps}")

    def _on_result(self, result: SubsetComparison) -> None:
        if not result.outcomes:
            self.summary.setText("Cancelled before the first subset finished.")
            return
        self.plot.show_comparison(result)
        best = max(result.outcomes, key=lambda outcome: outcome.clone_return_mean)
        self.summary.setText(
            "; ".join(f"{o.label}: {plural(len(o.episode_ids), 'episode')}, "
                      f"{plural(o.steps, 'step')}, clone "
                      f"{o.clone_return_mean:.1f} ± {o.clone_return_std:.1f}"
                      for o in result.outcomes)
            + f". Best clone: {best.label}.")
