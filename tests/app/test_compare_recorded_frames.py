"""Compare on an Atari recording: the demo's frames stay in the file.

Right after training the app opens the new policy and Compare compares it with the first demo
episode; a 5,000-step Pong episode is 500 MB of raw frames, which once took the app from 1.5
to 2.1 GB. Compare reads them a chunk at a time for the comparison and a block of rows at a
time for the demo pane's replay check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.app.watch.compare_view import CompareView
from clonelab.models.checkpoint import save_policy
from clonelab.models.failures.compare import READ_ROWS, compare_on_demo
from clonelab.models.observations import default_pipeline
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from tests.app.demo_data import expert_dataset, workspace_on
from tests.support.chunk_reads import count_row_reads

ENV_ID = "ALE/Pong-v5"


@pytest.fixture(scope="module")
def pong(tmp_path_factory) -> dict[str, Path]:
    """One 80-step scripted Pong episode and an untrained clone with Atari preprocessing."""
    root = tmp_path_factory.mktemp("pong")
    dataset = expert_dataset(root / "demos", ENV_ID, seeds=(0,), max_steps=80)
    env = make_env(ENV_ID)
    torch.manual_seed(0)
    spec = PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(16,),
                      pipeline=default_pipeline(ENV_ID, env.observation_space))
    env.close()
    clone = save_policy(root / "clone.pt", Policy(spec), TrainConfig())
    return {"dataset": dataset.path, "clone": clone}


def test_compare_never_holds_the_demo_episode_whole(qtbot, pong, monkeypatch) -> None:
    demo = DemoDataset.open(pong["dataset"]).load_episode(0)
    # Rows read at once by the view itself (the UI thread).
    reads = count_row_reads(monkeypatch, DemoDataset, main_thread_only=True)
    workspace = workspace_on(pong["dataset"], ENV_ID)
    workspace.open_policy(pong["clone"])
    view = CompareView(workspace)
    qtbot.addWidget(view)
    try:
        assert view.message.text() == ""
        policy = workspace.policy_for(ENV_ID)
        expected = compare_on_demo(policy, demo.observations, demo.actions)
        np.testing.assert_array_equal(view.comparison.policy_actions, expected.policy_actions)
        assert view.comparison.first_divergence == expected.first_divergence
        view.lockstep.seek(80)  # the demo pane replays the recording, checked row by row
        assert view.lockstep.run.step_count == 80
        np.testing.assert_array_equal(view.lockstep.run.left.observation, demo.observations[80])
        assert view.replay_mismatch is None
        assert reads and max(reads) <= READ_ROWS < len(demo.observations)
        # The clone's OOD timeline, computed in the background from the demo's start.
        qtbot.waitUntil(lambda: view.ood_plot.timeline is not None, timeout=60_000)
        assert 1 <= len(view.ood_plot.timeline.ood) <= len(demo.observations)
    finally:
        view.shutdown()
