"""Training from a streamed dataset: a memory budget below the data's size, the same clone."""

from __future__ import annotations

from pathlib import Path

import pytest

from clonelab.models.evaluation import evaluate
from clonelab.models.streaming import preprocessed_bytes
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.demos import record_expert_dataset

ENV_ID = "MiniGrid-Empty-5x5-v0"
RANDOM_START = {"agent_start_pos": None}


@pytest.mark.slow
def test_a_streamed_clone_plays_as_well_as_one_trained_in_memory(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dataset = record_expert_dataset(tmp_path / "grid", ENV_ID, episodes=80, **RANDOM_START)
    config = TrainConfig(steps=300, batch_size=64, seed=0, device="cpu", memory_budget_mb=1)
    pipeline = config.pipeline_for(ENV_ID, dataset.observation_space)
    assert preprocessed_bytes(dataset, pipeline, dataset.episode_ids) > 2**20  # over budget

    successes = {}
    for streamed in (True, False):
        run = config if streamed else TrainConfig(steps=300, batch_size=64, seed=0,
                                                  device="cpu")
        with caplog.at_level("INFO", logger="clonelab.models.train_data"):
            result = drain(train_bc(run, dataset))
        assert ("streaming 80 episodes" in caplog.text) is streamed
        caplog.clear()
        assert result.metrics.val_loss is not None  # validated on held-out rows either way
        evaluation = evaluate(result.policy, ENV_ID, episodes=20, seed=12_345,
                              env_kwargs=RANDOM_START)
        successes[streamed] = sum(r > 0 for r in evaluation.returns)
    assert successes[True] >= 18 and successes[False] >= 18, successes
