"""Several good ways (issue 11): on demos that go round a block on the left or on the right,
a Gaussian clone averages the two ways and hesitates; mixture and discretised clones pick one.

PointMaze_TwoWays-v3, 30 scripted episodes (both ways about half the time), three training
seeds per head, each clone played deterministically from the same 20 starts as the expert.
Success is reaching the goal at the expert's pace: within 100 steps, where the expert's
slowest of these episodes takes 91. Within the env's own 150 steps the Gaussian clone mostly
gets there too (docs/benchmarks.md, 8, gives both).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.models.evaluation import evaluate
from clonelab.models.expert_demos import expert_episodes, record_expert
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from clonelab.recorder.maze_envs import TWO_WAYS_ID

pytest.importorskip("gymnasium_robotics")
pytestmark = pytest.mark.slow

EVAL_SEEDS = range(1000, 1020)
PACE = 100  # steps: the expert's slowest episode from these starts takes 91


def success(head: str, seed: int, dataset) -> tuple[float, float]:
    """(success rate at the expert's pace, mean episode length) of one clone."""
    config = TrainConfig(head=head, seed=seed, steps=800, hidden=(64, 64), val_fraction=0.0,
                         device="cpu")
    policy = drain(train_bc(config, dataset)).policy
    result = evaluate(policy, TWO_WAYS_ID, episodes=len(EVAL_SEEDS), seed=EVAL_SEEDS[0],
                      max_steps=PACE)
    return result.return_mean, result.length_mean


def test_a_gaussian_clone_falls_below_the_expert_where_mixture_and_bins_keep_up(
        tmp_path: Path) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        expert = [episode.terminations[-1] and len(episode) <= PACE
                  for episode in expert_episodes(TWO_WAYS_ID, EVAL_SEEDS)]
        dataset = record_expert(tmp_path / "maze", TWO_WAYS_ID, seeds=range(30))
        scores = {head: [success(head, seed, dataset) for seed in range(3)]
                  for head in ("gaussian", "mixture", "discretised")}
    finally:
        torch.set_num_threads(threads)
    expert_rate = float(np.mean(expert))
    assert expert_rate == 1.0
    rates = {head: float(np.mean([rate for rate, _ in runs])) for head, runs in scores.items()}
    lengths = {head: float(np.mean([length for _, length in runs]))
               for head, runs in scores.items()}
    assert rates["gaussian"] <= 0.9 * expert_rate, rates
    assert lengths["gaussian"] >= lengths["mixture"] + 3, lengths  # it hesitates at the fork
    for head in ("mixture", "discretised"):
        assert rates[head] >= 0.8 * expert_rate, rates
        assert rates[head] > rates["gaussian"], rates
