"""Failures tab, DAgger with the scripted expert against BC at equal expert labels.

The form sets a `models.failures.dagger.DaggerConfig`; `run_dagger` runs on a `GeneratorWorker` and
each
finished iteration adds a point per curve to the live plot. DAgger's last clone can be saved
and selected, so the Watch and Compare views show where it now stays near the demos.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clonelab.app.failures.failure_plots import DaggerPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.state import AppState
from clonelab.models.checkpoint import save_policy
from clonelab.models.failures.dagger import DaggerConfig, DaggerProgress, DaggerResult, run_dagger
from clonelab.models.training import TrainConfig
from clonelab.recorder.experts import EXPERT_ENV_IDS, has_expert


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


class DaggerPanel(TaskPanel):
    """The DAgger form, Run / Cancel with progress, the live plot and "use DAgger's clone"."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "Run DAgger", parent)
        self.iterations = _spin(1, 100, 5, "DAgger iterations (iteration 0: expert demos only)")
        self.episodes = _spin(1, 100, 2, "Episodes rolled out and labelled per iteration")
        self.train_steps = _spin(10, 1_000_000, 1000, "Gradient steps of every clone")
        self.hidden = QLineEdit(", ".join(str(size) for size in TrainConfig().hidden))
        self.hidden.setToolTip("Hidden layer sizes of every clone, such as 64, 64")
        self.eval_episodes = _spin(1, 1000, 5, "Seeded evaluation episodes per clone")
        self.max_steps = _spin(0, 100_000, 0, "Cap on episode length; 0: the env's own limit")
        self.max_steps.setSpecialValueText("env limit")
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 1.0)
        self.noise.setSingleStep(0.05)
        self.noise.setToolTip("Probability that the expert takes a random action")
        self.baseline = QCheckBox("BC baseline at equal labels")
        self.baseline.setChecked(True)
        self.plot = DaggerPlot()
        self.save_button = QPushButton("Save DAgger's clone...")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._choose_save_path)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.result: DaggerResult | None = None
        form = QFormLayout()
        form.addRow("iterations", self.iterations)
        form.addRow("episodes per iteration", self.episodes)
        form.addRow("training steps per clone", self.train_steps)
        form.addRow("hidden layers", self.hidden)
        form.addRow("evaluation episodes", self.eval_episodes)
        form.addRow("max steps per episode", self.max_steps)
        form.addRow("expert noise", self.noise)
        form.addRow(self.baseline)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addLayout(self.button_row())
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
        layout.addWidget(self.message)
        layout.addLayout(body, 1)
        layout.addWidget(self.summary)

    def config(self) -> DaggerConfig:
        """The form as a `DaggerConfig` for the state's env (ValueError when it has no expert)."""
        env_id = self.state.env_id
        if not has_expert(env_id):
            raise ValueError(f"DAgger needs a scripted expert; {env_id} has none (experts: "
                             f"{', '.join(EXPERT_ENV_IDS)}).")
        steps = self.train_steps.value()
        try:
            hidden = tuple(int(size) for size in self.hidden.text().replace(",", " ").split())
        except ValueError:
            raise ValueError(f"hidden layers must be whole numbers such as 64, 64, got "
                             f"{self.hidden.text()!r}") from None
        return DaggerConfig(
            env_id=env_id, iterations=self.iterations.value(),
            episodes_per_iter=self.episodes.value(),
            train=TrainConfig(steps=steps, hidden=hidden, log_every=steps),
            eval_episodes=self.eval_episodes.value(),
            max_episode_steps=self.max_steps.value() or None,
            expert_noise=self.noise.value(), baseline=self.baseline.isChecked(),
        )

    def save_clone(self, path: str | Path) -> Path | None:
        """Save DAgger's last clone to `path` and make it the state's policy."""
        if self.result is None or self.result.policy is None:
            return None
        saved = save_policy(path, self.result.policy, self.result.config.train,
                            dataset_fingerprint=self.result.data.fingerprint())
        self.state.set_policy_path(Path(saved))
        self.message.show_message(f"Saved DAgger's clone to {saved}; it is the policy the "
                                  "Watch and Compare tabs use now.", "good")
        return Path(saved)

    def _factory(self) -> WorkFactory:
        config = self.config()
        self.result = None
        self.save_button.setEnabled(False)
        self.plot.reset()
        self.summary.setText("")
        self.progress_label.setText(f"Iteration 0 of {config.iterations}...")
        return lambda cancel: run_dagger(config, cancel=cancel)

    def _on_progress(self, record: DaggerProgress) -> None:
        self.plot.add(record)
        bc = "" if record.bc_return is None else f", BC {record.bc_return:.1f}"
        dagger = "not scored" if record.dagger_return is None else f"{record.dagger_return:.1f}"
        self.progress_label.setText(
            f"Iteration {record.iteration + 1} of {record.iterations}: {record.labels} labels, "
            f"DAgger {dagger}{bc} ({record.elapsed_s:.0f} s)")

    def _on_result(self, result: DaggerResult) -> None:
        self.result = result
        self.save_button.setEnabled(result.policy is not None)
        summary = result.summary()
        if summary["dagger_return"] is None:
            return
        text = (f"After {summary['iterations']} iterations and {summary['label_counts'][-1]} "
                f"expert labels: DAgger returns {summary['dagger_return']:.1f}")
        if summary["bc_return"] is not None:
            text += f", BC on as many labels {summary['bc_return']:.1f}"
        self.summary.setText(text + ".")

    def _choose_save_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save DAgger's clone", "dagger.pt",
                                              "Policies (*.pt)")
        if path:
            self.save_clone(path)
