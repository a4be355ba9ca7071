"""The Datasets tab on a real (small) CartPole expert dataset.

Waits use `qtbot.waitSignal` (a real event loop): `QTest.qWait` keeps the GIL while it sleeps,
which starves the worker threads these views rely on.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from clonelab.app.datasets.dataset_browser import DatasetBrowser
from clonelab.app.datasets.episode_table import COLUMNS
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, play_expert, workspace_on

ENV_ID = "CartPole-v1"


@pytest.fixture
def dataset(tmp_path: Path) -> DemoDataset:
    ds = expert_dataset(tmp_path / "demos", ENV_ID, seeds=(0, 1), max_steps=40,
                        tags=("expert",), operator="alice")
    ds.append(play_expert(ENV_ID, 2, noise=1.0, max_steps=40), tags=("noisy", "bad"))
    return ds


@pytest.fixture
def browser(qtbot, dataset: DemoDataset) -> DatasetBrowser:
    state = workspace_on(dataset.path, ENV_ID)
    view = DatasetBrowser(state)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    yield view
    view.shutdown()


def cell(view: DatasetBrowser, row: int, column: str) -> str:
    return view.proxy.index(row, COLUMNS.index(column)).data()


def test_lists_every_episode_with_its_summary(browser: DatasetBrowser, dataset) -> None:
    assert browser.visible_ids() == [0, 1, 2]
    info = dataset.episode_info(2)
    assert cell(browser, 2, "Return") == f"{info.episode_return:.2f}"
    assert cell(browser, 2, "Length") == str(info.steps)
    assert cell(browser, 2, "Who acted") == "expert"
    assert cell(browser, 2, "Device") == "script"
    assert cell(browser, 2, "Tags") == "noisy, bad"
    assert cell(browser, 0, "Operator") == "alice"
    assert cell(browser, 0, "Date").startswith("20")


def test_sorts_by_value_and_filters_by_text_and_return(browser: DatasetBrowser, dataset) -> None:
    returns = {i: dataset.episode_info(i).episode_return for i in dataset.episode_ids}
    browser.table.sortByColumn(COLUMNS.index("Return"), Qt.SortOrder.DescendingOrder)
    shown = [returns[i] for i in browser.visible_ids()]
    assert shown == sorted(shown, reverse=True)

    browser.filter_edit.setText("NOIS")
    assert browser.visible_ids() == [2]
    browser.filter_edit.setText("alice")  # the operator
    assert sorted(browser.visible_ids()) == [0, 1, 2]
    browser.filter_edit.setText("")

    threshold = returns[2] + 0.5  # the noisy episode falls short of the experts
    assert max(returns[0], returns[1]) >= threshold
    browser.min_return_check.setChecked(True)
    browser.min_return_spin.setValue(threshold)
    assert sorted(browser.visible_ids()) == [0, 1]
    browser.min_return_check.setChecked(False)
    assert sorted(browser.visible_ids()) == [0, 1, 2]


def test_delete_hides_at_once_undo_restores_and_commit_deletes_on_disk(
    browser: DatasetBrowser, dataset
) -> None:
    browser.select_episode(1)
    browser.delete_selected()
    assert browser.visible_ids() == [0, 2]
    assert DemoDataset.open(dataset.path).episode_ids == (0, 1, 2)  # nothing gone yet

    browser.undo_stack.undo()
    assert browser.visible_ids() == [0, 1, 2]
    browser.undo_stack.redo()
    assert browser.visible_ids() == [0, 2]

    browser.commit_deletions()  # the undo window closes
    assert DemoDataset.open(dataset.path).episode_ids == (0, 2)
    assert browser.visible_ids() == [0, 2]
    assert not browser.undo_stack.canUndo()


def test_deletion_reaches_the_disk_when_the_undo_window_closes(qtbot, browser,
                                                             dataset) -> None:
    deletions = browser._workspace.deletions
    deletions.window_ms = 50
    with qtbot.waitSignal(deletions.timer.timeout, timeout=5_000):
        browser.delete_episodes([2])
    assert DemoDataset.open(dataset.path).episode_ids == (0, 1)
    assert not browser.undo_stack.canUndo()


def test_new_episodes_show_when_the_dataset_changes(browser, dataset) -> None:
    dataset.append(play_expert(ENV_ID, 9, max_steps=10), tags=("late",))
    browser._workspace.reload_dataset()  # another object appended: re-read it
    assert browser.visible_ids() == [0, 1, 2, 3]


def test_closing_the_view_commits_pending_deletions(qtbot, dataset) -> None:
    state = workspace_on(dataset.path, ENV_ID)
    view = DatasetBrowser(state)
    qtbot.addWidget(view)
    view.delete_episodes([0])
    view.close()
    assert DemoDataset.open(dataset.path).episode_ids == (1, 2)


def test_merge_appends_the_other_datasets_episodes(qtbot, browser, tmp_path: Path) -> None:
    other = expert_dataset(tmp_path / "other", ENV_ID, seeds=(7, 8), max_steps=20,
                           tags=("late",))
    with qtbot.waitSignal(browser._workspace.dataset_changed, timeout=10_000):
        browser.merge_from(other.path)
    assert len(browser.visible_ids()) == 5
    merged = DemoDataset.open(browser.dataset.path)
    new_ids = merged.episode_ids[3:]
    assert [merged.episode_info(i).tags for i in new_ids] == [("late", "from:other")] * 2
    np.testing.assert_array_equal(merged.load_episode(new_ids[0]).actions,
                                  other.load_episode(0).actions)


def test_merge_refuses_another_env_with_a_message(qtbot, browser, tmp_path: Path) -> None:
    other = expert_dataset(tmp_path / "car", "MountainCar-v0", seeds=(0,), max_steps=10)
    with qtbot.waitSignal(browser._workspace.dataset_changed, timeout=10_000):
        browser.merge_from(other.path)
    assert "MountainCar-v0" in browser.message.text()
    assert len(browser.visible_ids()) == 3


def test_corrupt_dataset_gives_a_message_not_a_crash(browser, tmp_path: Path) -> None:
    broken = tmp_path / "broken.hdf5"
    broken.write_bytes(b"not an hdf5 file at all")
    assert not browser.open_dataset(broken)
    assert "broken.hdf5" in browser.message.text()
    assert browser.visible_ids() == [0, 1, 2]  # the open dataset stays


def test_scrubbing_a_clean_episode_rebuilds_matching_frames(qtbot, browser, dataset) -> None:
    with qtbot.waitSignal(browser.timeline.replay_checked, timeout=15_000) as signal:
        browser.select_episode(1)
    result = signal.args[0]
    assert result.first_mismatch is None
    assert len(result.frames) == dataset.episode_info(1).steps + 1
    timeline = browser.timeline
    timeline.set_step(5)
    episode = dataset.load_episode(1)
    assert timeline.frame.frame_size() is not None
    assert timeline._values["action"].text() == ("push left", "push right")[episode.actions[5]]
    assert timeline.slider.marker() is None
    assert "matches" in timeline.replay_label.text()
    table = timeline.observation_table
    rows = [table.verticalHeaderItem(row).text() for row in range(table.rowCount())]
    assert rows == ["cart position", "cart velocity", "pole angle", "pole angular velocity"]


def test_observation_cells_are_shown_whole(qtbot, browser, dataset) -> None:
    browser.show()
    qtbot.waitExposed(browser)
    with qtbot.waitSignal(browser.timeline.replay_checked, timeout=15_000):
        browser.select_episode(1)
    table = browser.timeline.observation_table
    width = table.fontMetrics().horizontalAdvance
    for column in range(2):
        header = table.horizontalHeaderItem(column).text()
        assert width(header) < table.columnWidth(column), header
        for row in range(table.rowCount()):
            text = table.item(row, column).text()
            assert width(text) < table.columnWidth(column), text
    for row in range(table.rowCount()):
        name = table.verticalHeaderItem(row).text()
        assert width(name) < table.verticalHeader().width(), name
    # ...and the columns fit the table: nothing hides behind a scroll bar.
    assert table.columnWidth(0) + table.columnWidth(1) <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()


def test_a_tampered_episode_is_flagged_at_its_first_mismatch(qtbot, tmp_path: Path) -> None:
    clean = play_expert(ENV_ID, 3, max_steps=30)
    observations = clean.observations.copy()
    observations[12:, 0] += 0.05  # as if the file had been edited from step 12 on
    ds = expert_dataset(tmp_path / "tampered", ENV_ID, seeds=())
    ds.append(replace(clean, observations=observations))
    state = workspace_on(ds.path, ENV_ID)
    view = DatasetBrowser(state)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.timeline.replay_checked, timeout=15_000):
        view.select_episode(0)
    assert view.timeline.mismatch_step() == 12
    assert view.timeline.slider.marker() == 12
    assert "step 12" in view.timeline.replay_label.text()
    view.shutdown()


def test_summary_plots_cover_the_visible_episodes(qtbot, browser, dataset) -> None:
    browser.filter_edit.setText("expert")
    qtbot.waitUntil(lambda: browser.plots.summary() is not None
                    and len(browser.plots.summary().episode_ids) == 2, timeout=10_000)
    summary = browser.plots.summary()
    assert summary.episode_ids.tolist() == [0, 1]
    assert len(summary.actions) == sum(dataset.episode_info(i).steps for i in (0, 1))
    assert summary.observations.shape[1] == 4


def test_summary_plots_name_the_actions_and_observations(qtbot, browser) -> None:
    qtbot.waitUntil(lambda: browser.plots.summary() is not None, timeout=10_000)
    plots = browser.plots
    ticks = plots.actions_plot.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["push left", "push right"]
    assert plots.x_dim.currentText() == "cart position"
    assert plots.coverage_plot.getAxis("left").labelText == "cart velocity"


def test_plots_save_as_png(qtbot, browser, tmp_path: Path) -> None:
    qtbot.waitUntil(lambda: browser.plots.summary() is not None, timeout=10_000)
    paths = browser.plots.save_png(tmp_path)
    assert sorted(p.name for p in paths) == ["actions.png", "coverage.png", "returns.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_a_new_empty_dataset_shows_empty_plots_without_an_error(qtbot, tmp_path: Path) -> None:
    import gymnasium as gym

    env = gym.make(ENV_ID)
    empty = DemoDataset.create(tmp_path / "empty", env_id=ENV_ID,
                               observation_space=env.observation_space,
                               action_space=env.action_space)
    state = workspace_on(empty.path, ENV_ID)
    view = DatasetBrowser(state)
    qtbot.addWidget(view)
    view.plots.x_dim.setCurrentIndex(1)  # redraws the coverage plot from the empty summary
    qtbot.waitUntil(lambda: view.plots.summary() is not None, timeout=10_000)
    assert len(view.plots.summary().episode_ids) == 0
    assert view.plots.coverage_plot.listDataItems() == []
    view.shutdown()
