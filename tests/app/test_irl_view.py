"""The Inverse RL tab: the MaxEnt heatmap and paths, AIRL/GAIL in the background, errors."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from clonelab.app.irl.irl_maxent_panel import FROM_DATASET, WORLDS
from clonelab.app.irl.irl_view import IrlView
from clonelab.models.checkpoint import load_policy
from clonelab.models.irl.adversarial import REWARD_FILE
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, workspace_on

ENV_ID = "CartPole-v1"
ROUND = 256  # env steps per PPO round of CartPole's preset


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> Path:
    return expert_dataset(tmp_path_factory.mktemp("irl") / "demos", ENV_ID, seeds=(0, 1),
                          max_steps=80).path


@pytest.fixture
def view(qtbot, demos: Path, tmp_path: Path) -> IrlView:
    state = workspace_on(demos, ENV_ID)
    irl = IrlView(state)
    qtbot.addWidget(irl)
    irl.adversarial.save_edit.setText(str(tmp_path / "run"))
    yield irl
    irl.shutdown()


def test_maxent_heatmap_has_the_grid_shape_and_the_demo_path(qtbot, view: IrlView) -> None:
    panel = view.maxent
    panel.source_combo.setCurrentText("MiniGrid empty room 5x5")
    panel.episodes_spin.setValue(3)
    panel.iterations_spin.setValue(30)
    with qtbot.waitSignal(panel.start().finished, timeout=30_000):
        pass

    grid = panel.result.reward_grid
    assert grid.shape == (5, 5)
    image = panel.heatmap.image.image
    assert image.shape == (5, 5)  # (x, y) of a square room
    assert np.isnan(grid[0]).all()  # the top wall...
    assert (panel.heatmap.walls.image[:, 0, 3] == 255).all()  # ...is painted over
    assert len(panel.heatmap.path_items) == 3
    xs, ys = panel.heatmap.path_items[0].getData()
    path = panel.result.demo_paths[0]
    assert len(xs) == len(path)
    # The line runs through the cells' centres (give or take the per-demo nudge) to the goal.
    assert np.allclose(np.floor(xs), path[:, 0]) and np.allclose(np.floor(ys), path[:, 1])
    assert (int(xs[-1]), int(ys[-1])) == (3, 3)
    assert "reward" in panel.message.text() and not panel.is_busy()


def test_maxent_frozen_lake_grid(qtbot, view: IrlView) -> None:
    panel = view.maxent
    panel.source_combo.setCurrentText(WORLDS[1].title)  # FrozenLake 8x8
    panel.iterations_spin.setValue(20)
    with qtbot.waitSignal(panel.start().finished, timeout=30_000):
        pass
    assert panel.heatmap.grid.shape == (8, 8)
    assert panel.heatmap.image.image.shape == (8, 8)


def test_maxent_on_a_vector_dataset_is_an_error_in_the_view(qtbot, view: IrlView) -> None:
    panel = view.maxent
    panel.source_combo.setCurrentText(FROM_DATASET)
    with qtbot.waitSignal(panel.start().failed, timeout=30_000):
        pass
    assert "MaxEnt" in panel.message.text() and "AIRL" in panel.message.text()
    assert panel.result is None and panel.controls.run_button.isEnabled()


def test_adversarial_run_updates_curves_saves_and_sets_the_policy(
    qtbot, view: IrlView, tmp_path: Path
) -> None:
    panel = view.adversarial
    panel.steps_spin.setValue(2 * ROUND)
    worker = panel.start()
    records = []
    worker.progress.connect(records.append)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass

    assert [r.env_steps for r in records] == [ROUND, 2 * ROUND]
    assert panel.curves.point_count("disc_loss") == 2
    assert panel.curves.point_count("learned_reward_expert") == 2
    assert panel.controls.progress_bar.value() == 2 * ROUND
    policy_path = view.adversarial._workspace.policy_path
    assert policy_path == tmp_path / "run" / "policy.pt"
    assert load_policy(policy_path, env_id=ENV_ID) is not None
    assert (tmp_path / "run" / REWARD_FILE).is_file()
    # The learned reward along the chosen episode: one point per step for both curves.
    steps = DemoDataset.open(panel._dataset.path).episode_info(0).steps
    learned_x, _ = panel.trace_plot.learned_curve.getData()
    true_x, true_y = panel.trace_plot.true_curve.getData()
    assert len(learned_x) == len(true_x) == steps
    assert np.all(true_y == 1.0)  # CartPole pays 1 a step


def test_episode_chooser_replots_and_a_reward_file_loads(qtbot, view: IrlView, demos: Path,
                                                         tmp_path: Path) -> None:
    panel = view.adversarial
    panel.steps_spin.setValue(ROUND)
    with qtbot.waitSignal(panel.start().finished, timeout=60_000):
        pass
    panel.reward = None
    panel.trace_plot.set_trace(np.zeros(0), np.zeros(0))
    assert panel.open_reward(tmp_path / "run" / REWARD_FILE)
    panel.episode_combo.setCurrentIndex(1)
    steps = DemoDataset.open(demos).episode_info(1).steps
    assert len(panel.trace_plot.learned_curve.getData()[0]) == steps
    assert not panel.open_reward(demos / "nothing.pt")
    assert "Cannot load the reward" in panel.message.text()


def test_adversarial_run_cancels_quickly(qtbot, view: IrlView) -> None:
    panel = view.adversarial
    panel.method_combo.setCurrentText("gail")
    panel.steps_spin.setValue(1000 * ROUND)
    worker = panel.start()
    with qtbot.waitSignal(worker.progress, timeout=60_000):
        pass
    started = time.monotonic()
    with qtbot.waitSignal(worker.cancelled, timeout=5_000):
        panel.cancel()
    assert time.monotonic() - started < 3.0
    assert panel.curves.point_count("disc_accuracy") >= 1
    assert "cancelled" in panel.message.text() and panel.controls.run_button.isEnabled()
    assert view.adversarial._workspace.policy_path is None
    # What the cancelled run learned is saved where the run was writing, for later use.
    assert "saved in" in panel.message.text()
    assert panel._out_dir is not None and (panel._out_dir / "policy.pt").exists()


def test_adversarial_errors_are_shown(qtbot, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "main_data.hdf5").write_bytes(b"not hdf5")
    state = workspace_on(broken, ENV_ID)
    view = IrlView(state)
    qtbot.addWidget(view)
    assert "Cannot open" in view.adversarial.dataset_label.text()
    assert view.adversarial.start() is None
    assert "Open a CloneLab dataset" in view.adversarial.message.text()

    grid = expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", seeds=(0,), max_steps=20)
    state.select_dataset(grid.path)
    assert view.tabs.currentWidget() is view.maxent
    assert view.adversarial.start() is None
    assert "image observations" in view.adversarial.message.text()


def test_maxent_learns_from_a_recorded_minigrid_dataset(qtbot, tmp_path: Path) -> None:
    grid = expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", seeds=(0, 1),
                          max_steps=30)
    state = workspace_on(grid.path, "MiniGrid-Empty-5x5-v0")
    view = IrlView(state)
    qtbot.addWidget(view)
    panel = view.maxent
    assert panel.source_combo.currentText() == FROM_DATASET  # the grid dataset is the source
    panel.iterations_spin.setValue(20)
    with qtbot.waitSignal(panel.start().finished, timeout=30_000):
        pass
    assert panel.heatmap.grid.shape == (5, 5)
    steps = [grid.episode_info(i).steps for i in grid.episode_ids]
    assert [len(item.getData()[0]) for item in panel.heatmap.path_items] == [
        n + 1 for n in steps]  # every recorded state, the reset one included
