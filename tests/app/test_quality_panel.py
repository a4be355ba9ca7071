"""The Failures tab's Mixed quality view: three clones (all, best half, weighted) train in the
background with a progress bar, their curves fill one plot; tiny budgets on CartPole.

Waits use `qtbot.waitSignal`: `waitUntil` keeps the GIL between its polls and slows workers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clonelab.app.failures.failures_view import FailuresView
from clonelab.models.failures.quality import ARMS, QualityConfig
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, workspace_on

WAIT_MS = 120_000
ENV_ID = "CartPole-v1"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("quality") / "mixed"
    dataset = expert_dataset(path, seeds=(0, 1), max_steps=40)
    noisy = expert_dataset(path.parent / "noisy", seeds=(2, 3), noise=0.9, max_steps=40,
                           tags=("noisy",))
    for episode_id in noisy.episode_ids:
        dataset.append(noisy.load_episode(episode_id), tags=("noisy",))
    return path


@pytest.fixture
def view(qtbot, mixed) -> FailuresView:
    failures = FailuresView(workspace_on(mixed, ENV_ID))
    qtbot.addWidget(failures)
    yield failures
    failures.shutdown()


def _tiny(panel) -> None:
    panel.form.set_config(QualityConfig(tag_weights="noisy=0.2", eval_episodes=1))
    panel.train_steps.setValue(16)


def test_three_clones_train_in_the_background_and_fill_one_plot(qtbot, view) -> None:
    panel = view.quality
    assert view.tabs.tabText(view.tabs.indexOf(panel)) == "Mixed quality"
    _tiny(panel)
    fractions = []
    panel.runner.progress.connect(lambda record: fractions.append(record.fraction))
    with qtbot.waitSignal(panel.done, timeout=WAIT_MS) as done:
        assert panel.run() is not None
    result = done.args[0]
    assert [arm.label for arm in result.arms] == list(ARMS) and not result.cancelled
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    bar = panel.controls.progress_bar
    assert bar.maximum() > 0
    for label in ARMS:  # every clone's curve: 8 records of 2 steps each
        xs, _ = panel.plot.curves[label].getData()
        assert list(xs) == [2, 4, 6, 8, 10, 12, 14, 16]
    assert "best half" in panel.summary.text() and "weighted" in panel.summary.text()


def test_cancel_keeps_the_clones_done_and_bad_weights_are_a_message(qtbot, view) -> None:
    panel = view.quality
    _tiny(panel)
    panel.runner.progress.connect(lambda record: record.arm == 1 and panel.runner.cancel())
    with qtbot.waitSignal(panel.stopped, timeout=WAIT_MS):
        assert panel.run() is not None
    assert "all" in panel.summary.text() and "(cancelled)" in panel.summary.text()
    panel.form.editor("tag_weights").setText("noisy")
    assert panel.run() is None
    assert "tag=weight" in panel.message.text()


def test_a_dataset_of_one_episode_is_refused_in_one_line(qtbot, tmp_path: Path) -> None:
    single: DemoDataset = expert_dataset(tmp_path / "one", seeds=(0,), max_steps=20)
    failures = FailuresView(workspace_on(single.path, ENV_ID))
    qtbot.addWidget(failures)
    panel = failures.quality
    _tiny(panel)
    with qtbot.waitSignal(panel.stopped, timeout=WAIT_MS):
        panel.run()
    assert "at least 2 episodes" in panel.message.text()
    failures.shutdown()
