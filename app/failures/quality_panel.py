"""Failures tab, mixed quality: clones on all the demos, on the best half by return, and on
all of them weighted (by return, and by tag where given), their learning curves in one plot.

The three train with the same settings and play the same seeded starts
(`models.failures.quality.compare_quality`); the curves fill in while they train.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from clonelab.app.failures.quality_plot import QualityPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.failures.quality import (
    ARMS,
    QualityComparison,
    QualityConfig,
    QualityProgress,
    compare_quality,
)
from clonelab.recorder.wording import plural

_LABELS = {"tag_weights": "tag weights", "return_temperature": "return temperature",
           "eval_episodes": "evaluation episodes"}
_BAR = 1000  # progress bar resolution


class QualityPanel(TaskPanel):
    """Train a clone on all the episodes, the best half and all weighted; plot their curves."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Train and compare", parent)
        self.form = ConfigForm(QualityConfig, skip=("train", "eval_seed"), labels=_LABELS)
        self.train_steps = QSpinBox()
        self.train_steps.setRange(10, 1_000_000)
        self.train_steps.setSingleStep(100)
        self.train_steps.setValue(QualityConfig().train.total_steps(0))
        self.plot = QualityPlot()
        self._lay_out("An imperfect expert is copied, mistakes and all: clones on every "
                      "episode, on the best half by return, and weighted.",
                      [self.form, QLabel("training steps"), self.train_steps], self.plot)

    def _factory(self) -> WorkFactory:
        steps = self.train_steps.value()
        config = self.form.config()
        config = replace(config, train=replace(config.train, steps=steps,
                                               log_every=max(1, steps // 8)))
        dataset, _ = self.open_inputs(policy=False)
        self.plot.reset()
        self.controls.set_status(f"{plural(len(dataset.episode_ids), 'episode')}: "
                                 f"{', '.join(ARMS)}")
        return lambda cancel: compare_quality(config, dataset, cancel=cancel)

    def _on_progress(self, record: QualityProgress) -> None:
        self.controls.set_progress(round(record.fraction * _BAR), _BAR)
        if record.train.eval_return is not None:
            self.plot.add_point(record.label, record.train.step, record.train.eval_return)
        self.controls.set_status(f"Clone {record.arm + 1} of {len(ARMS)} ({record.label}): "
                                 f"step {record.train.step} of {record.train.total_steps}")

    def _on_result(self, result: QualityComparison) -> None:
        self._show(result)

    def _on_partial(self, partial: QualityComparison) -> None:
        self._show(partial)

    def _show(self, result: QualityComparison) -> None:
        if not result.arms:
            self.summary.setText("Cancelled before the first clone finished.")
            return
        self.plot.show_comparison(result)
        self.summary.setText(
            f"Demos' mean return {result.demo_return_mean:.1f} (best half "
            f"{result.best_half_return_mean:.1f}). Clones over "
            f"{plural(len(result.arms[0].clone_returns), 'evaluation episode')}: "
            + "; ".join(f"{arm.label} {arm.clone_return_mean:.1f}" for arm in result.arms)
            + (" (cancelled)." if result.cancelled else "."))
