"""The Train tab: the generated form, background training, cancel, evaluation, errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QSpinBox

from clonelab.app.train.train_panel import TrainPanel
from clonelab.app.widgets.config_form import ConfigForm, ConfigFormError
from clonelab.models.checkpoint import read_checkpoint_info
from clonelab.models.training import TrainConfig
from clonelab.recorder.configs import field_docs
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.episode_selection import mean_return
from tests.app.demo_data import expert_dataset, play_expert, workspace_on

ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> Path:
    ds = expert_dataset(tmp_path_factory.mktemp("train") / "demos", ENV_ID, seeds=(0, 1, 2),
                        max_steps=80, tags=("expert",))
    ds.append(play_expert(ENV_ID, 5, noise=1.0, max_steps=80), tags=("noisy",))
    return ds.path


@pytest.fixture
def panel(qtbot, demos: Path, tmp_path: Path) -> TrainPanel:
    state = workspace_on(demos, ENV_ID)
    view = TrainPanel(state)
    qtbot.addWidget(view)
    view.save_edit.setText(str(tmp_path / "clone.pt"))
    yield view
    view.shutdown()


def set_fields(panel: TrainPanel, **values) -> None:
    for name, value in values.items():
        editor = panel.form.editor(name)
        if isinstance(editor, QSpinBox):
            editor.setValue(value)
        else:
            editor.setText(str(value))


def test_form_is_made_from_train_config_with_docstring_tooltips(qtbot) -> None:
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    assert form.config() == TrainConfig()
    assert form.editor("lr").toolTip() == field_docs(TrainConfig)["lr"] == "Adam learning rate."
    form.editor("steps").setValue(300)
    form.editor("hidden").setText("64, 32")
    form.editor("lr").setText("3e-4")
    assert form.config() == TrainConfig(steps=300, hidden=(64, 32), lr=3e-4)


def test_form_refuses_what_train_config_refuses(qtbot) -> None:
    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    form.editor("val_fraction").setText("1.5")
    assert "val_fraction" in form.error_text()
    with pytest.raises(ConfigFormError):
        form.config()
    form.editor("val_fraction").setText("0.2")
    form.editor("lr").setText("fast")
    assert "Lr" in form.error_text() or "lr" in form.error_text().lower()


def test_episode_choice_by_tag_and_by_return(panel: TrainPanel) -> None:
    assert panel.selected_ids() == (0, 1, 2, 3)
    panel.use_tag.setChecked(True)
    panel.tag_combo.setCurrentText("noisy")
    assert panel.selected_ids() == (3,)
    panel.use_min.setChecked(True)
    panel.min_return.setValue(80.0)
    assert panel.selected_ids() == (0, 1, 2)
    assert "3 episodes" in panel.selection_label.text()


def test_device_is_shown(panel: TrainPanel) -> None:
    assert panel.device_label.text().startswith("Trains on: ")


def test_training_reports_progress_saves_and_evaluates(qtbot, panel: TrainPanel,
                                                       tmp_path: Path) -> None:
    set_fields(panel, steps=120, log_every=20)
    panel.form.editor("hidden").setText("32")
    panel.eval_episodes.setValue(2)
    records = []
    worker = panel.start_training()
    worker.progress.connect(records.append)
    with qtbot.waitSignal(panel._workspace.policy_changed, timeout=30_000):
        pass
    assert panel._workspace.policy_path == tmp_path / "clone.pt"
    assert [r.step for r in records] == [20, 40, 60, 80, 100, 120]
    assert "samples/s" in panel.speed_label.text()
    assert len(panel.loss_plot.train_curve.getData()[0]) == 6
    info = read_checkpoint_info(tmp_path / "clone.pt")
    assert info.env_id == ENV_ID and info.train_config.steps == 120
    qtbot.waitUntil(lambda: panel.evaluation is not None, timeout=30_000)
    assert panel.evaluation.episodes == 2
    demos = DemoDataset.open(panel._workspace.dataset_path)
    demo_mean = mean_return(demos.episode_info(i) for i in demos.episode_ids)
    assert f"mean return {panel.evaluation.return_mean:.1f}" in panel.message.text()
    assert f"demos: {demo_mean:.1f}" in panel.message.text()


def test_cancel_stops_training_within_a_second(qtbot, panel: TrainPanel) -> None:
    set_fields(panel, steps=1_000_000, log_every=10)
    worker = panel.start_training()
    with qtbot.waitSignal(worker.progress, timeout=20_000):
        pass
    started = time.monotonic()
    with qtbot.waitSignal(worker.cancelled, timeout=5_000):
        panel.controls.cancel_button.click()
    assert time.monotonic() - started < 1.0
    assert panel.message.text() == "Training cancelled."
    assert panel.controls.run_button.isEnabled()
    assert panel._workspace.policy_path is None


def test_a_cancelled_run_shows_its_own_figures_not_the_previous_runs(
        qtbot, panel: TrainPanel) -> None:
    """Issue 9, item 20: after a cancel the tab showed "step 0 / 1 (epoch 5000.0)" and the
    previous run's speed."""
    set_fields(panel, steps=120, log_every=20)
    panel.form.editor("hidden").setText("32")
    panel.eval_episodes.setValue(0)
    worker = panel.start_training()
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    assert "Kept the weights with the best validation loss" in panel.message.text()
    assert panel.report.best_label.text().startswith("best: validation loss")
    # No record before the cancel: only the cancelled run's final figures can be shown.
    set_fields(panel, steps=1_000_000, log_every=1_000_000)
    worker = panel.start_training()
    assert panel.speed_label.text() == panel.report.best_label.text() == ""
    assert "epoch" not in panel.progress_bar.text()
    with qtbot.waitSignal(worker.cancelled, timeout=10_000) as cancelled:
        panel.controls.cancel_button.click()
    partial = cancelled.args[0].metrics
    assert panel.progress_bar.text() == (f"step {partial.step} / 1000000  "
                                         f"(epoch {partial.epoch:.1f})")
    assert panel.speed_label.text() == f"{partial.samples_per_s:,.0f} samples/s"
    assert panel.message.text() == "Training cancelled."


def test_a_new_run_shows_no_figure_of_the_previous_run(qtbot, panel: TrainPanel) -> None:
    """Issue 10: until a run's first record, nothing on the tab may be the run before's: not
    its ETA, speed, accuracy, best step, warning, loss curves, bar or verdict."""
    set_fields(panel, steps=120, log_every=20)
    panel.form.editor("hidden").setText("32")
    panel.eval_episodes.setValue(1)
    panel.start_training()
    qtbot.waitUntil(lambda: panel.evaluation is not None, timeout=60_000)
    report = panel.report
    assert report.speed_label.text() and report.metrics_label.text() and report.best_label.text()
    assert len(panel.loss_plot.train_curve.getData()[0]) == 6
    assert "Clone: mean return" in panel.message.text()

    set_fields(panel, steps=1_000_000, log_every=1_000_000)
    worker = panel.start_training()
    labels = (report.eta_label, report.speed_label, report.metrics_label, report.best_label)
    assert [label.text() for label in labels] == ["", "", "", ""]
    assert report.warning.isHidden()
    for curve in (panel.loss_plot.train_curve, panel.loss_plot.val_curve):
        assert len(curve.getData()[0] if curve.getData()[0] is not None else []) == 0
    # The bar is busy until the first record, beside what is happening, not the last "Done.".
    assert panel.progress_bar.maximum() == 0 and panel.progress_bar.text() == ""
    steps = sum(r.steps for r in map(panel._dataset.episode_info, panel.selected_ids()))
    assert panel.controls.status.text() == f"Loading {steps} steps..."
    assert panel.message.text() == "Training on 4 episodes..."
    with qtbot.waitSignal(worker.progress, timeout=20_000):  # within 2 s of training
        pass
    assert panel.controls.status.text() == ""
    with qtbot.waitSignal(worker.cancelled, timeout=10_000):
        panel.controls.cancel_button.click()


def test_event_loop_never_stalls_while_training(qtbot, panel: TrainPanel) -> None:
    # Long enough to measure: 400 steps of this small MLP took under 0.2 s since training's
    # per-step cost fell (docs/benchmarks.md section 1).
    set_fields(panel, steps=2000, log_every=20)
    panel.form.editor("hidden").setText("64, 64")
    panel.eval_episodes.setValue(0)
    clock = QElapsedTimer()
    gaps: list[int] = []
    ticker = QTimer()
    ticker.setInterval(10)

    def tick() -> None:
        gaps.append(clock.restart())

    ticker.timeout.connect(tick)
    clock.start()
    ticker.start()
    worker = panel.start_training()
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    ticker.stop()
    assert len(gaps) > 20  # it ran long enough to measure
    assert max(gaps[1:]) <= 50, f"the UI stalled {max(gaps[1:])} ms"


def test_problems_are_messages_in_the_panel(qtbot, panel: TrainPanel, monkeypatch) -> None:
    panel.use_min.setChecked(True)
    panel.min_return.setValue(1e6)
    assert panel.start_training() is None
    assert "No episodes" in panel.message.text()
    panel.use_all.setChecked(True)

    def broken_training(*_args, **_kwargs):
        raise RuntimeError("the loss became nan at step 3")
        yield  # a generator, like train_bc

    monkeypatch.setattr("clonelab.app.train.train_panel.train_bc", broken_training)
    worker = panel.start_training()
    with qtbot.waitSignal(worker.failed, timeout=10_000):
        pass
    assert "Training failed" in panel.message.text() and "nan" in panel.message.text()

    panel._workspace.select_dataset(Path("/nonexistent/dataset"))
    assert "Cannot open" in panel.dataset_label.text()
    assert panel.start_training() is None


def test_loading_records_fill_the_bar_and_show_no_figures(panel: TrainPanel) -> None:
    from clonelab.models.training import TrainProgress

    loading = TrainProgress(step=0, total_steps=0, epoch=0.0, train_loss=None, val_loss=None,
                            val_accuracy=None, val_action_error=None, eval_return=None,
                            best_step=None, samples_per_s=0.0, elapsed_s=3.0, loaded=0.4)
    panel.runner.progress.emit(loading)
    assert panel.progress_bar.format() == "loading frames 40%"
    assert panel.progress_bar.value() == 400 and panel.progress_bar.maximum() == 1000
    assert panel.loss_plot.listDataItems() == [] or all(
        len(item.xData or []) == 0 for item in panel.loss_plot.listDataItems())
