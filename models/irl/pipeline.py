"""Inverse RL from a dataset to files: one pipeline per method family, for the CLI and the tab.

`adversarial_pipeline` (AIRL, GAIL) and `maxent_pipeline` are jobs (progress generators with
cooperative cancel) that learn a reward from a `DemoDataset`, write the results into a folder
and return an `IRLRun` naming them; `run_irl` drains one for `clonelab irl`:

- `policy.pt`: a `models.checkpoint` policy (for `clonelab eval`, Watch and Compare);
- `reward.pt` (AIRL, GAIL): the reward network, read back with `models.irl.reward.load_reward`;
- `reward_grid.json` (MaxEnt): the reward per cell (null on walls) and the demos' paths;
- `irl.json`: the summary, the settings and every progress record.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from clonelab.models.checkpoint import save_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.irl.adversarial import (
    POLICY_FILE,
    REWARD_FILE,
    AdversarialConfig,
    IRLProgress,
    IRLResult,
    train_adversarial,
)
from clonelab.models.irl.grid_policy import distill_plan
from clonelab.models.irl.grid_worlds import is_frozen_lake, recorded_demos
from clonelab.models.irl.heldout import collect_held_out, reward_correlation
from clonelab.models.irl.maxent import MaxEntConfig, MaxEntProgress, MaxEntResult, train_maxent
from clonelab.models.policy import Policy, observation_kind
from clonelab.models.training import TrainConfig
from clonelab.recorder.jobs import CancelCheck, drain

log = logging.getLogger(__name__)

EVAL_SEED = 10_000
EVAL_EPISODES = 20
GRID_FILE = "reward_grid.json"
SUMMARY_FILE = "irl.json"

Progress = Callable[[int, int], None]
"""Called with (done, total): env steps (AIRL, GAIL) or iterations (MaxEnt)."""


@dataclass(frozen=True, kw_only=True)
class IRLRun:
    """What an IRL pipeline leaves behind: its files, its summary and the learner's result."""

    method: str
    out_dir: Path
    policy_path: Path | None
    """The saved policy (None for FrozenLake, whose state-index observations no CloneLab
    policy reads)."""
    reward_path: Path
    """reward.pt (AIRL, GAIL) or reward_grid.json (MaxEnt)."""
    summary_path: Path
    """irl.json: the summary, the settings and every progress record."""
    summary: dict[str, Any]
    """What `clonelab irl --json` prints."""
    result: IRLResult | MaxEntResult


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run_irl(dataset: Any, out_dir: str | os.PathLike[str],
            config: AdversarialConfig | MaxEntConfig, *, seed: int = 0,
            on_progress: Progress | None = None, torch_threads: int | None = 1) -> dict[str, Any]:
    """Run the pipeline of `config` (AIRL/GAIL or MaxEnt) on `dataset`; return the summary.

    `seed` seeds MaxEnt's env and policy (AdversarialConfig has its own). `torch_threads`
    applies while it runs (then the previous setting returns; None leaves torch alone): these
    networks are small, and one thread ran AIRL 7x faster than torch's default on 2 busy
    cores. Raises `IRLError` when the method does not fit the dataset's env.
    """
    previous_threads = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    try:
        if isinstance(config, MaxEntConfig):
            run = drain(maxent_pipeline(dataset, out_dir, config, seed=seed),
                        None if on_progress is None
                        else lambda r: on_progress(r.iteration, r.total_iterations))
        else:
            run = drain(adversarial_pipeline(dataset, out_dir, config),
                        None if on_progress is None
                        else lambda r: on_progress(r.env_steps, r.total_steps))
    finally:
        torch.set_num_threads(previous_threads)
    return run.summary


def adversarial_pipeline(dataset: Any, out_dir: str | os.PathLike[str],
                         config: AdversarialConfig, *, cancel: CancelCheck | None = None
                         ) -> Generator[IRLProgress, None, IRLRun]:
    """AIRL or GAIL on `dataset`: train (checkpointing into `out_dir`), score, write irl.json.

    A cancelled run saves what it learned, unscored. Raises `IRLError` for a dataset
    whose observations are not vectors.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = yield from train_adversarial(config, dataset, cancel=cancel, checkpoint_dir=out)
    summary: dict[str, Any] = {
        "method": config.method,
        "env_id": dataset.env_id,
        "steps": result.env_steps,
        "seconds": result.seconds,
        "cancelled": result.cancelled,
        "reward": str(out / REWARD_FILE),
        "train_return": _finite(result.metrics.true_return),
    }
    if not result.cancelled:  # a cancel asks for the files now, not for minutes of scoring
        correlation = reward_correlation(result.reward, collect_held_out(dataset.env_id))
        summary.update(reward_correlation=correlation.reward,
                       return_to_go_correlation=correlation.return_to_go,
                       held_out_steps=correlation.steps)
    details = {
        "config": config.to_dict(),
        "ppo": dataclasses.asdict(result.ppo),
        "history": [dataclasses.asdict(r) for r in result.history],
    }
    return _finish(dataset, out, result.policy, summary, details, result, out / REWARD_FILE)


def maxent_pipeline(dataset: Any, out_dir: str | os.PathLike[str], config: MaxEntConfig, *,
                    seed: int = 0, cancel: CancelCheck | None = None
                    ) -> Generator[MaxEntProgress, None, IRLRun]:
    """MaxEnt IRL on a MiniGrid or FrozenLake dataset: the reward grid, a policy, irl.json.

    On MiniGrid the plan is distilled into a pixel policy (`models.irl.grid_policy`) and saved
    (not after a cancel); FrozenLake gets the reward grid only. Raises `IRLError` for other envs.
    """
    from clonelab.recorder.catalog import make_env

    out = Path(out_dir)
    env = make_env(dataset.env_id)
    try:
        episodes = [dataset.load_episode(i) for i in dataset.episode_ids]
        mdp, demos = recorded_demos(env, episodes, env_id=dataset.env_id, seed=seed)
        out.mkdir(parents=True, exist_ok=True)
        result = yield from train_maxent(mdp, demos, config, cancel=cancel)
        policy = None
        if (not result.cancelled and not is_frozen_lake(env)
                and observation_kind(dataset.observation_space) == "image"):
            policy = distill_plan(env, mdp, result.plan, seed=seed,
                                  seeds=[int(e.seed) for e in episodes])
    finally:
        env.close()
    save_reward_grid(out / GRID_FILE, result, env_id=dataset.env_id)
    summary: dict[str, Any] = {
        "method": "maxent",
        "env_id": dataset.env_id,
        "steps": result.metrics.iteration,
        "seconds": result.seconds,
        "cancelled": result.cancelled,
        "reward": str(out / GRID_FILE),
        "feature_gap": result.metrics.feature_gap,
        "log_likelihood": result.metrics.log_likelihood,
    }
    details = {"config": dataclasses.asdict(config), "seed": seed,
               "history": [dataclasses.asdict(r) for r in result.history]}
    return _finish(dataset, out, policy, summary, details, result, out / GRID_FILE,
                   train=TrainConfig(seed=seed, device="cpu"))


def _finish(dataset: Any, out: Path, policy: Policy | None, summary: dict[str, Any],
            details: dict[str, Any], result: IRLResult | MaxEntResult, reward_path: Path, *,
            train: TrainConfig | None = None) -> IRLRun:
    """Save (where the learner did not) and score the policy (unless cancelled), write irl.json."""
    policy_path = None
    if policy is not None:
        policy_path = out / POLICY_FILE
        if train is not None:  # AIRL and GAIL checkpoint their own policy
            save_policy(policy_path, policy, train, dataset_fingerprint=dataset.fingerprint())
        summary["policy"] = str(policy_path)
    if policy is not None and not result.cancelled:
        scores = evaluate(policy, dataset.env_id, episodes=EVAL_EPISODES, seed=EVAL_SEED)
        summary.update(return_mean=scores.return_mean, return_std=scores.return_std,
                       eval_episodes=EVAL_EPISODES)
    (out / SUMMARY_FILE).write_text(json.dumps({**summary, **details}, indent=1) + "\n")
    return IRLRun(method=summary["method"], out_dir=out, policy_path=policy_path,
                  reward_path=reward_path, summary_path=out / SUMMARY_FILE, summary=summary,
                  result=result)


def save_reward_grid(path: Path, result: MaxEntResult, *, env_id: str) -> Path:
    """Write the learned reward grid (null on walls) and the demos' cell paths as JSON."""
    grid = [[None if math.isnan(v) else float(v) for v in row] for row in result.reward_grid]
    payload = {"env_id": env_id, "reward_grid": grid,
               "demo_paths": [path.tolist() for path in result.demo_paths]}
    path.write_text(json.dumps(payload) + "\n")
    return path

