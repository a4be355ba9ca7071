"""The Train tab's run figures: the best step, the overfitting warning, a clean slate per run."""

from __future__ import annotations

import dataclasses

from clonelab.app.train.train_report import TrainReport
from clonelab.models.training import TrainProgress


def overfitting_run() -> list[TrainProgress]:
    """Issue 9's run in miniature: validation loss 1.4 -> 0.9 at step 300, then up to 8.5
    while the training loss keeps falling."""
    losses = [(100, 1.2, 1.4), (200, 0.8, 1.0), (300, 0.5, 0.9), (400, 0.3, 2.0),
              (500, 0.1, 8.5)]
    return [TrainProgress(step=step, total_steps=5000, epoch=step / 3, train_loss=train,
                          val_loss=val, val_accuracy=0.5, val_action_error=None,
                          eval_return=None, best_step=min(step, 300), samples_per_s=1000.0,
                          elapsed_s=step / 100)
            for step, train, val in losses]


def test_overfitting_is_warned_of_with_the_step_kept(qtbot) -> None:
    report = TrainReport()
    qtbot.addWidget(report)
    report.reset("val_loss")
    records = overfitting_run()
    for record in records[:3]:
        report.show_progress(record)
    assert report.warning.isHidden()  # still improving
    assert report.best_label.text() == "best: validation loss 0.9 at step 300"
    for record in records[3:]:
        report.show_progress(record)
    assert not report.warning.isHidden()
    assert report.warning.text() == (
        "Overfitting: validation loss 8.5 at step 500 is up from its best 0.9 at step 300 "
        "while the training loss fell (0.5 to 0.1). The weights of step 300 are kept.")


def test_keeping_the_last_weights_does_not_claim_the_best_are_kept(qtbot) -> None:
    report = TrainReport()
    qtbot.addWidget(report)
    report.reset("last")
    for record in overfitting_run():
        report.show_progress(record)
    assert report.warning.text().endswith("(0.5 to 0.1).")


def test_a_new_run_starts_with_blank_figures(qtbot) -> None:
    report = TrainReport()
    qtbot.addWidget(report)
    report.reset("val_loss")
    for record in overfitting_run():
        report.show_progress(record)
    report.reset("val_loss")
    labels = (report.eta_label, report.speed_label, report.metrics_label, report.best_label)
    assert [label.text() for label in labels] == ["", "", "", ""]
    assert report.warning.isHidden()


def test_the_eta_is_the_records_estimate_with_validation_counted(qtbot) -> None:
    """Issue 10: the ETA was elapsed / step x steps left, which counted the data loading as
    if every step paid for it again; the record now says what is left (`eta_s`)."""
    report = TrainReport()
    qtbot.addWidget(report)
    report.reset("val_loss")
    first = overfitting_run()[0]
    for eta_s, text in ((None, ""), (7.4, "ETA 7s"), (125.0, "ETA 2m 05s"),
                        (2 * 3600 + 5 * 60 + 59, "ETA 2h 05m")):
        report.show_progress(dataclasses.replace(first, eta_s=eta_s))
        assert report.eta_label.text() == text
    report.show_stopped()
    assert report.eta_label.text() == ""
