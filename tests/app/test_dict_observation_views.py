"""Play, Watch and Takeover on PointMaze_TwoWays-v3, whose observations are Dicts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from clonelab.app.takeover.takeover_form import TakeoverSettings
from clonelab.app.takeover.takeover_view import TakeoverView
from clonelab.app.watch.watch_view import WatchView
from clonelab.models.checkpoint import save_policy
from clonelab.models.failures.ensemble import EnsembleConfig
from clonelab.models.failures.takeover_training import TAKEOVER_ROUNDS
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from clonelab.recorder.maze_envs import TWO_WAYS_ID
from tests.app.demo_data import expert_dataset, workspace_on

pytest.importorskip("gymnasium_robotics")
TRAIN = TrainConfig(steps=40, hidden=(16,), batch_size=32, log_every=40, val_fraction=0.0,
                    device="cpu")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Two short expert demos of the maze and a clone trained on them briefly."""
    root = tmp_path_factory.mktemp("maze")
    demos = expert_dataset(root / "demos", TWO_WAYS_ID, seeds=(0, 1), max_steps=30)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        clone = save_policy(root / "clone.pt", drain(train_bc(TRAIN, demos)).policy, TRAIN)
    finally:
        torch.set_num_threads(threads)
    return {"demos": demos.path, "clone": clone}


def test_play_records_a_maze_episode_from_the_arrow_keys(qtbot, make_view, tmp_path):
    view = make_view(TWO_WAYS_ID)
    assert view.create_dataset(tmp_path / "played") and view.set_recording(True)
    qtbot.keyPress(view, Qt.Key.Key_Right)
    while view.pending_episode is None:
        view.step_once()
    qtbot.keyRelease(view, Qt.Key.Key_Right)
    assert view.frame.frame_size() is not None
    with qtbot.waitSignal(view.committer.committed, timeout=10_000) as committed:
        qtbot.keyClick(view, Qt.Key.Key_K)

    episode = DemoDataset.open(tmp_path / "played").load_episode(committed.args[0])
    assert episode.observations.shape == (episode.steps + 1, 8)
    assert episode.steps == 150 and bool(episode.truncations[-1])
    assert np.all(episode.actions == [1.0, 0.0])
    assert episode.observations[-1, 0] > episode.observations[0, 0]  # the ball went right


def test_watch_plays_a_clone_of_dict_demos_and_rates_its_states(qtbot, files):
    state = workspace_on(files["demos"], TWO_WAYS_ID)
    state.open_policy(files["clone"])
    view = WatchView(state)
    qtbot.addWidget(view)
    view.new_episode(seed=3)
    for _ in range(3):
        view.step_once()
    assert "step 3" in view.frame.hud()
    observation = view.loop.session.env.reset(seed=3)[0]
    distribution = view.agent.action_distribution(observation)
    assert distribution.mean is not None and distribution.mean.shape == (2,)
    view.shutdown()


def test_takeover_runs_the_clone_on_dict_observations_and_hands_over(qtbot, files, tmp_path):
    train = replace(TRAIN, epochs=1, steps=None)
    rounds = replace(TAKEOVER_ROUNDS, ensemble=EnsembleConfig(members=2, train=train),
                     episodes_per_round=1, max_episode_steps=6)
    view = TakeoverView(workspace_on(files["demos"], TWO_WAYS_ID))
    qtbot.addWidget(view)
    view.configure(TakeoverSettings(mode="gate", rounds=rounds, pause_on_request=True,
                                    countdown=0))
    with qtbot.waitSignal(view.retrained, timeout=60_000):
        view.prepare()
    view.step_once()  # starts the episode
    qtbot.keyPress(view, Qt.Key.Key_Shift)
    qtbot.keyPress(view, Qt.Key.Key_Up)
    for _ in range(3):
        view.step_once()
    qtbot.keyRelease(view, Qt.Key.Key_Up)
    qtbot.keyRelease(view, Qt.Key.Key_Shift)
    for _ in range(2):
        view.step_once()  # the clone acts on the env's dicts again
    assert view.loop.session.steps == 5
    assert view.loop.session._buffer._actors == ["human"] * 3 + ["agent"] * 2
    view.shutdown()
