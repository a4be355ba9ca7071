"""Inverse RL from a dataset to files, as `clonelab irl` runs it.

`run_irl` learns a reward from a `DemoDataset`, writes the results into a folder and returns
a summary (what `clonelab irl --json` prints):

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
from pathlib import Path
from typing import Any

import torch

from clonelab.models.checkpoint import save_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.irl import IRLError
from clonelab.models.irl.adversarial import (
    POLICY_FILE,
    REWARD_FILE,
    AdversarialConfig,
    train_adversarial,
)
from clonelab.models.irl.grid_policy import distill_plan
from clonelab.models.irl.heldout import collect_held_out, reward_correlation
from clonelab.models.irl.maxent import MaxEntConfig, MaxEntResult, train_maxent
from clonelab.models.irl.tabular import dataset_demos, minigrid_mdp
from clonelab.models.policy import observation_kind
from clonelab.models.training import TrainConfig

log = logging.getLogger(__name__)

METHODS = ("airl", "gail", "maxent")
EVAL_SEED = 10_000
EVAL_EPISODES = 20
GRID_FILE = "reward_grid.json"
SUMMARY_FILE = "irl.json"

Progress = Callable[[int, int], None]
"""Called with (done, total): env steps (AIRL, GAIL) or iterations (MaxEnt)."""


def _drain(generator: Generator[Any, None, Any], on_progress: Progress | None,
           done_total: Callable[[Any], tuple[int, int]]) -> Any:
    while True:
        try:
            record = next(generator)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(*done_total(record))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run_irl(dataset: Any, out_dir: str | os.PathLike[str], *, method: str = "airl",
            steps: int | None = None, seed: int = 0, on_progress: Progress | None = None,
            torch_threads: int | None = 1) -> dict[str, Any]:
    """Learn a reward from `dataset` with `method`, write the files, return the summary.

    `steps` is the env-step budget for AIRL and GAIL (default 100,000) and the number of
    iterations for MaxEnt (default 300). `torch_threads` applies while it runs (then the
    previous setting returns; None leaves torch alone): these networks are small, and one
    thread ran AIRL 7x faster than torch's default on 2 busy cores. Raises `IRLError` when the
    method does not fit the dataset's env.
    """
    if method not in METHODS:
        raise IRLError(f"unknown IRL method {method!r}; choose one of {', '.join(METHODS)}")
    previous_threads = torch.get_num_threads()
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    try:
        return _run(dataset, Path(out_dir), method=method, steps=steps, seed=seed,
                    on_progress=on_progress)
    finally:
        torch.set_num_threads(previous_threads)


def _run(dataset: Any, out: Path, *, method: str, steps: int | None, seed: int,
         on_progress: Progress | None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    if method == "maxent":
        summary, details = _run_maxent(dataset, out, steps=steps, seed=seed,
                                       on_progress=on_progress)
    else:
        summary, details = _run_adversarial(dataset, out, method=method, steps=steps,
                                            seed=seed, on_progress=on_progress)
    policy = details.pop("policy")
    scores = evaluate(policy, dataset.env_id, episodes=EVAL_EPISODES, seed=EVAL_SEED)
    summary.update(return_mean=scores.return_mean, return_std=scores.return_std,
                   eval_episodes=EVAL_EPISODES, policy=str(out / POLICY_FILE))
    (out / SUMMARY_FILE).write_text(json.dumps({**summary, **details}, indent=1) + "\n")
    return summary


def _run_adversarial(dataset: Any, out: Path, *, method: str, steps: int | None, seed: int,
                     on_progress: Progress | None) -> tuple[dict[str, Any], dict[str, Any]]:
    config = AdversarialConfig(method=method, seed=seed,  # type: ignore[arg-type]
                               **({"steps": steps} if steps else {}))
    result = _drain(train_adversarial(config, dataset, checkpoint_dir=out), on_progress,
                    lambda r: (r.env_steps, r.total_steps))
    correlation = reward_correlation(result.reward, collect_held_out(dataset.env_id))
    summary = {
        "method": method,
        "env_id": dataset.env_id,
        "steps": result.env_steps,
        "seconds": result.seconds,
        "cancelled": result.cancelled,
        "reward": str(out / REWARD_FILE),
        "reward_correlation": correlation.reward,
        "return_to_go_correlation": correlation.return_to_go,
        "held_out_steps": correlation.steps,
        "train_return": _finite(result.metrics.true_return),
    }
    details = {
        "config": config.to_dict(),
        "ppo": dataclasses.asdict(result.ppo),
        "history": [dataclasses.asdict(r) for r in result.history],
        "policy": result.policy,
    }
    return summary, details


def _run_maxent(dataset: Any, out: Path, *, steps: int | None, seed: int,
                on_progress: Progress | None) -> tuple[dict[str, Any], dict[str, Any]]:
    from clonelab.recorder.catalog import make_env

    if observation_kind(dataset.observation_space) != "image":
        raise IRLError(f"dataset for {dataset.env_id}: MaxEnt IRL here is tabular and needs a "
                       "MiniGrid room; use --method airl or gail for vector envs")
    env = make_env(dataset.env_id)
    try:
        env.reset(seed=seed)
        mdp = minigrid_mdp(env)
        episodes = [dataset.load_episode(i) for i in dataset.episode_ids]
        demos = dataset_demos(env, mdp, episodes)
        config = MaxEntConfig(**({"iterations": steps} if steps else {}))
        result: MaxEntResult = _drain(train_maxent(mdp, demos, config), on_progress,
                                      lambda r: (r.iteration, r.total_iterations))
        policy = distill_plan(env, mdp, result.plan, seed=seed,
                              seeds=[int(e.seed) for e in episodes])
    finally:
        env.close()
    save_reward_grid(out / GRID_FILE, result, env_id=dataset.env_id)
    save_policy(out / POLICY_FILE, policy, TrainConfig(seed=seed, device="cpu"),
                dataset_fingerprint=dataset.fingerprint())
    summary = {
        "method": "maxent",
        "env_id": dataset.env_id,
        "steps": result.metrics.iteration,
        "seconds": result.seconds,
        "cancelled": result.cancelled,
        "reward": str(out / GRID_FILE),
        "feature_gap": result.metrics.feature_gap,
        "log_likelihood": result.metrics.log_likelihood,
    }
    details = {"config": dataclasses.asdict(config),
               "history": [dataclasses.asdict(r) for r in result.history], "policy": policy}
    return summary, details


def save_reward_grid(path: Path, result: MaxEntResult, *, env_id: str) -> Path:
    """Write the learned reward grid (null on walls) and the demos' cell paths as JSON."""
    grid = [[None if math.isnan(v) else float(v) for v in row] for row in result.reward_grid]
    payload = {"env_id": env_id, "reward_grid": grid,
               "demo_paths": [path.tolist() for path in result.demo_paths]}
    path.write_text(json.dumps(payload) + "\n")
    return path

