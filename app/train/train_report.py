"""The Train tab's figures of the current run: ETA, speed, validation metrics, the best step so
far, and a warning when the run overfits. `reset` clears them when a run starts, so a label
never shows a previous run's figures.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from clonelab.app.widgets.message_line import MessageLine
from clonelab.models.train_selection import overfit_warning
from clonelab.models.training import TrainProgress, TrainResult

log = logging.getLogger(__name__)


def eta_text(progress: TrainProgress) -> str:
    """"ETA 1m 05s" from the record's estimate (`TrainProgress.eta_s`: the steps left at the
    pace so far, plus the validations left at theirs); "" without one."""
    if progress.eta_s is None:
        return ""
    minutes, secs = divmod(int(round(progress.eta_s)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"ETA {hours}h {minutes:02d}m"
    return f"ETA {minutes}m {secs:02d}s" if minutes else f"ETA {secs}s"


def best_text(record: TrainProgress) -> str:
    """What made `record` the best: "validation loss 0.912 at step 300"."""
    if record.eval_return is not None:
        return f"return {record.eval_return:.1f} at step {record.step}"
    if record.val_action_error is not None:
        return f"validation action error {record.val_action_error:.3g} at step {record.step}"
    return f"validation loss {record.val_loss:.3g} at step {record.step}"


def kept_text(result: TrainResult) -> str:
    """Which weights a finished run kept and why it stopped, in one sentence or two."""
    final, kept = result.metrics, result.kept
    stopped = (f" Stopped early at step {final.step}: no new best for "
               f"{final.step - kept.step} steps." if result.stopped_early else "")
    if final.best_step is None:
        return f"Kept the last weights (step {final.step}): no validation data to choose by."
    if kept is final and final.best_step != final.step:
        return f"Kept the last weights (step {final.step}), as asked.{stopped}"
    return f"Kept the weights with the best {best_text(kept)}.{stopped}"


class TrainReport(QWidget):
    """Labels for the run in progress, cleared by `reset` and filled by `show_progress`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.eta_label = QLabel()
        self.speed_label = QLabel()
        self.metrics_label = QLabel()
        self.best_label = QLabel()
        self.best_label.setObjectName("bestLabel")
        self.warning = MessageLine("overfitWarning")
        self._history: list[TrainProgress] = []
        self._keeps_best = True
        row = QHBoxLayout()
        for label in (self.eta_label, self.speed_label, self.metrics_label, self.best_label):
            row.addWidget(label)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.warning)

    def reset(self, select_by: str) -> None:
        """A new run (keeping its weights by `select_by`): no figures until its first record."""
        self._history = []
        self._keeps_best = select_by == "val_loss"
        for label in (self.eta_label, self.speed_label, self.metrics_label, self.best_label):
            label.setText("")
        self.warning.show_message("")

    def show_progress(self, progress: TrainProgress) -> None:
        """Show one record's figures, and warn once the run overfits."""
        self._history.append(progress)
        self.eta_label.setText(eta_text(progress))
        self.speed_label.setText(f"{progress.samples_per_s:,.0f} samples/s")
        parts = []
        if progress.val_accuracy is not None:
            parts.append(f"val accuracy {progress.val_accuracy:.1%}")
        if progress.val_action_error is not None:
            parts.append(f"val action error {progress.val_action_error:.3f}")
        self.metrics_label.setText(", ".join(parts))
        best = next((r for r in self._history if r.step == progress.best_step), None)
        self.best_label.setText(f"best: {best_text(best)}" if best else "")
        warning = overfit_warning(self._history)
        if warning and best and self._keeps_best:
            warning += f" The weights of step {best.step} are kept."
        self.warning.show_message(warning or "", "error")

    def show_stopped(self) -> None:
        """The run is over: no time left to estimate."""
        self.eta_label.setText("")
