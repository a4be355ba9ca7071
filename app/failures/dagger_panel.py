"""Failures tab, DAgger with the scripted expert against BC at equal expert labels, over seeds.

The forms set a `models.failures.dagger_seeds.DaggerSeedsConfig`; `run_dagger_seeds` runs on the
panel's `JobRunner`, seed after seed, and every finished (seed, iteration) point fills in the
plot: each side's mean and 95% band against the expert labels. One seed's curve is mostly noise
(two seeds of the same setting differ by 100 points on LunarLander), so the verdict comes from
the seeds together. The last seed's DAgger clone can be saved and selected, so the Watch and
Compare views show where it now stays near the demos.
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

from clonelab.app.failures.dagger_plot import DaggerSeedsPlot
from clonelab.app.failures.task_panel import TaskPanel
from clonelab.app.widgets.config_form import ConfigForm
from clonelab.app.widgets.workers import WorkFactory
from clonelab.app.window.workspace import Workspace
from clonelab.models.checkpoint import CheckpointError, save_policy
from clonelab.models.failures.dagger import DEFAULT_TRAIN, DaggerConfig
from clonelab.models.failures.dagger_seeds import (
    CurvePoint,
    DaggerSeedsConfig,
    DaggerSeedsResult,
    Interval,
    SeedPoint,
    run_dagger_seeds,
)
from clonelab.models.training import TrainConfig
from clonelab.recorder.experts import EXPERT_ENV_IDS, has_expert
from clonelab.recorder.wording import plural

_LABELS = {"episodes_per_iter": "episodes per iteration", "steps": "training steps",
           "hidden": "hidden layers", "max_episode_steps": "max steps per episode",
           "seed": "first seed"}
# What bench/dagger_seeds.py measured (docs/failures.md), shown next to the form so that the
# person knows what to expect from the defaults before pressing Run.
_MEASURED = {
    "LunarLander-v3": (
        "Measured with these defaults (one hidden layer of 4 units, 8 seeds): after 8 "
        "iterations DAgger returns -54 [-147, 38], BC on as many expert labels -308 [-391, "
        "-225]; DAgger leads by 254 [106, 402]. The small learner cannot fit the expert "
        "everywhere, and DAgger spends it on the states its clone reaches. With 2 hidden layers "
        "of 64 (6 seeds) there was no clear winner at any iteration: BC's demos already teach "
        "that clone enough."),
    "Acrobot-v1": (
        "Measured with these defaults (8 seeds): no clear winner at any iteration; after 8 "
        "iterations DAgger -89 [-92, -85], BC -85 [-91, -80]. Four units already fit "
        "Acrobot's swing-up rule, so BC's clone does not drift and DAgger has nothing to fix."),
}
_NOT_MEASURED = ("No DAgger-vs-BC measurement for {env}. Where BC's clone can fit the expert "
                 "from demos alone, DAgger has nothing to fix: expect no clear winner. The "
                 "effect the lecture describes shows on LunarLander-v3 with the default weak "
                 "learner (docs/failures.md).")


class DaggerPanel(TaskPanel):
    """The DAgger form, Run / Cancel with progress, the live plot and "use DAgger's clone"."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(workspace, "Run DAgger", parent)
        # Generated from the configs `clonelab dagger` reads: same fields, same defaults. Every
        # point is scored and BC always runs: the comparison is the point of the panel.
        self.form = ConfigForm(DaggerConfig, initial=DaggerConfig(env_id=workspace.env_id),
                               skip=("env_id", "train", "baseline", "curve"), labels=_LABELS)
        self.seeds_form = ConfigForm(DaggerSeedsConfig,
                                     initial=DaggerSeedsConfig(run=self.form.config()),
                                     skip=("run",))
        self.train_form = ConfigForm(TrainConfig, initial=DEFAULT_TRAIN, skip=("seed",),
                                     labels=_LABELS)
        self.plot = DaggerSeedsPlot()
        self.save_button = QPushButton("Save the last seed's DAgger clone...")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.evidence = QLabel()
        self.evidence.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.result: DaggerSeedsResult | None = None
        # A cancelled run's points and clones so far: not a verdict, but its clone can be saved.
        self.partial: DaggerSeedsResult | None = None
        form = QFormLayout()
        form.addRow(self.form)
        form.addRow(self.seeds_form)
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
            "expert demos only. Each seed repeats the whole run; the band is the 95% interval "
            "over seeds."))
        layout.addWidget(self.evidence)
        layout.addLayout(body, 1)
        layout.addWidget(self.summary)
        workspace.env_changed.connect(self._on_env_changed)
        self._on_env_changed()

    def config(self) -> DaggerSeedsConfig:
        """The forms as a `DaggerSeedsConfig` for the workspace's env (ValueError: no expert)."""
        env_id = self.workspace.env_id
        if not has_expert(env_id):
            raise ValueError(f"DAgger needs a scripted expert; {env_id} has none (experts: "
                             f"{', '.join(EXPERT_ENV_IDS)}).")
        run: DaggerConfig = self.form.config()
        run = dataclasses.replace(run, env_id=env_id).with_train(self.train_form.config())
        return dataclasses.replace(self.seeds_form.config(), run=run)

    def save_clone(self, path: str | Path) -> Path | None:
        """Save the last seed's DAgger clone to `path` and make it the workspace's policy."""
        done = self.result or self.partial
        run = done.last_run if done is not None else None
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
        self.message.show_message(f"Saved DAgger's clone (seed {run.config.seed}) to {saved}; "
                                  "it is the policy the Watch and Compare tabs use now.", "good")
        return Path(saved)

    def _factory(self) -> WorkFactory:
        config = self.config()
        self.result = self.partial = None
        self.save_button.setEnabled(False)
        self.plot.reset()
        self.summary.setText("")
        self.controls.set_progress(0, config.seeds * config.run.iterations)
        self.controls.set_status(f"Seed 1 of {config.seeds}, iteration 0...")
        return lambda cancel: run_dagger_seeds(config, cancel=cancel)

    def _on_progress(self, record: SeedPoint) -> None:
        point = record.point
        self.controls.set_progress(record.seed_index * point.iterations + point.iteration + 1,
                                   record.seeds * point.iterations)
        self.plot.add(record)
        self.controls.set_status(
            f"Seed {record.seed_index + 1} of {record.seeds}, iteration {point.iteration + 1} "
            f"of {point.iterations}: {plural(point.labels, 'label')} ({point.elapsed_s:.0f} s)")

    def _on_result(self, result: DaggerSeedsResult) -> None:
        self.result = result
        self.save_button.setEnabled(result.last_run is not None
                                    and result.last_run.policy is not None)
        curve = result.curve
        if curve:
            self.summary.setText(verdict_text(curve))

    def _on_partial(self, partial: DaggerSeedsResult) -> None:
        if partial.last_run is None or partial.last_run.policy is None:
            return
        self.partial = partial
        self.save_button.setEnabled(True)
        seeds = len({p.seed for p in partial.points})
        self.message.show_message(
            f"Cancelled with {plural(len(partial.points), 'point')} from "
            f"{plural(seeds, 'seed')}; the last clone can still be saved.")

    def _on_env_changed(self, *_: object) -> None:
        env_id = self.workspace.env_id
        self.evidence.setText(_MEASURED.get(env_id, _NOT_MEASURED.format(env=env_id)))

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save DAgger's clone", "dagger.pt",
                                              "Policies (*.pt)")
        if path:
            self.save_clone(path)


def verdict_text(curve: list[CurvePoint]) -> str:
    """Where DAgger led, where BC led, and the last point, in words with the 95% intervals."""
    last = curve[-1]
    text = (f"After {plural(last.iteration + 1, 'iteration')} ({last.labels:.0f} expert labels, "
            f"{plural(last.dagger.n, 'seed')}): DAgger {_interval(last.dagger)}, BC "
            f"{_interval(last.bc)}; DAgger - BC {_interval(last.difference)}: {last.verdict}.")
    for side in ("DAgger ahead", "BC ahead"):
        ahead = [str(c.iteration) for c in curve if c.verdict == side]
        text += f" {side} at iterations: {', '.join(ahead) if ahead else 'none'}."
    if last.dagger.n >= 2 and not any(c.verdict == "DAgger ahead" for c in curve):
        text += (" DAgger did not beat BC here: either BC's demos already teach this clone "
                 "what the expert does where it goes, or these seeds are too few to tell (the "
                 "bands say which).")
    return text


def _interval(interval: Interval) -> str:
    if interval.n < 2:
        return f"{interval.mean:.1f}"
    return f"{interval.mean:.1f} [{interval.low:.1f}, {interval.high:.1f}]"
