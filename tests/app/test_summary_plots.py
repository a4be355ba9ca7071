"""The Datasets tab's summary plots, drawn from a summary built by hand."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from clonelab.app.datasets.summary_plots import DatasetSummary, SummaryPlots
from clonelab.app.widgets.plot_style import shown_ticks
from clonelab.recorder.action_names import env_names


def car_summary(episodes: int = 3) -> DatasetSummary:
    rng = np.random.default_rng(0)
    return DatasetSummary(
        episode_ids=np.arange(episodes), returns=rng.normal(-26, 5, episodes),
        actions=rng.uniform(0, 1, (50, 3)).astype(np.float32), observations=None,
        action_space=spaces.Box(np.array([-1, 0, 0], np.float32), np.ones(3, np.float32)))


def test_box_action_dimensions_are_named(qtbot):
    plots = SummaryPlots()
    qtbot.addWidget(plots)
    plots.set_summary(car_summary(), env_names("CarRacing-v3"))
    assert [plots.action_dim.itemText(i) for i in range(3)] == ["steer", "gas", "brake"]
    plots.action_dim.setCurrentIndex(1)
    assert plots.actions_plot.getAxis("bottom").labelText == "gas"


def test_the_returns_plot_names_its_mean_in_full_and_counts_whole_episodes(qtbot):
    plots = SummaryPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 600)
    summary = car_summary(1)
    plots.set_summary(summary, env_names("CarRacing-v3"))
    plots.show()
    qtbot.waitExposed(plots)
    plots.grab()  # lays out and draws the axes
    item = plots.returns_plot.getPlotItem()
    assert f"mean {summary.returns[0]:.1f}" in item.titleLabel.text
    box = item.vb.sceneBoundingRect()
    for child in item.vb.addedItems:
        label = getattr(child, "label", None)
        if label is not None and label.isVisible():
            assert box.contains(label.sceneBoundingRect())
    ticks = shown_ticks(plots.returns_plot)
    assert ticks == [0.0]


def test_an_image_dataset_is_summarised_from_its_actions_alone(tmp_path, monkeypatch):
    """Frames are not plotted, so none is read (a Pong recording's are gigabytes)."""
    from clonelab.app.datasets.summary_plots import summarize
    from clonelab.recorder.dataset import DemoDataset
    from clonelab.recorder.jobs import drain
    from tests.recorder.crash_writer import DISCRETE_ACTIONS, IMAGE_SPACE, synthetic_episode

    dataset = DemoDataset.create(tmp_path / "frames", env_id="Synthetic-v0",
                                 observation_space=IMAGE_SPACE, action_space=DISCRETE_ACTIONS)
    episodes = [synthetic_episode(seed, 20 + seed, IMAGE_SPACE) for seed in range(3)]
    for episode in episodes:
        dataset.append(episode)

    def whole(*_args: object) -> None:
        raise AssertionError("read the frames")

    monkeypatch.setattr(dataset, "transitions", whole)
    summary = drain(summarize(dataset, dataset.episode_ids))
    assert np.array_equal(summary.actions, np.concatenate([e.actions for e in episodes]))
    assert summary.observations is None
