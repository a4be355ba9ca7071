"""The headless sub-commands of `clonelab`: expert, info, train, eval, irl, dagger (no Qt here)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from clonelab.app.cli.config_args import config_from_args
from clonelab.app.cli.dataset_commands import (
    cmd_doctor,
    cmd_info,
    execute,
    note_repair,
    open_dataset,
)
from clonelab.app.cli.lag_command import cmd_lag
from clonelab.app.cli.output import strict_json
from clonelab.models.checkpoint import CheckpointError, load_policy, save_policy
from clonelab.models.distributed import PEER_LOST_STATUS, PeerLostError, World
from clonelab.models.evaluation import EvalConfig, evaluate
from clonelab.models.expert_demos import ExpertConfig, expert_episodes
from clonelab.models.failures.dagger import DEFAULT_TRAIN, DaggerConfig, run_dagger
from clonelab.models.irl import IRLError
from clonelab.models.irl.adversarial import AdversarialConfig
from clonelab.models.irl.maxent import MaxEntConfig
from clonelab.models.irl.pipeline import run_irl
from clonelab.models.train_selection import overfit_warning
from clonelab.models.training import TrainConfig, TrainingError, TrainProgress, train_bc
from clonelab.recorder.catalog import EnvBuildError, UnknownEnvError, make_env
from clonelab.recorder.dataset import DatasetError, DemoDataset
from clonelab.recorder.episode_selection import EpisodeSubset
from clonelab.recorder.experts import ExpertError, LaggedExpert, make_expert
from clonelab.recorder.jobs import drain

log = logging.getLogger(__name__)

# The errors a user can cause with a bad argument or file: one line, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    CheckpointError,
    DatasetError,
    EnvBuildError,
    ExpertError,
    IRLError,
    TrainingError,
    UnknownEnvError,
    ValueError,
    OSError,
)


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed sub-command; user errors become one line on stderr and status 1."""
    handlers = {"expert": cmd_expert, "info": cmd_info, "doctor": cmd_doctor,
                "train": cmd_train, "eval": cmd_eval, "irl": cmd_irl, "dagger": cmd_dagger,
                "lag": cmd_lag}
    # PeerLostError: the launcher names the process that stopped, in one line.
    return execute(args, handlers[args.command], USER_ERRORS,
                   silent={PeerLostError: PEER_LOST_STATUS})


def _progress(total: int, desc: str) -> tqdm:
    """A progress bar on a terminal, silent when stderr is a pipe or file."""
    return tqdm(total=total, desc=desc, unit="", disable=not sys.stderr.isatty(), leave=False)


def cmd_expert(args: argparse.Namespace) -> dict[str, Any]:
    """Record scripted-expert episodes into a dataset (created, or appended to)."""
    config: ExpertConfig = config_from_args(ExpertConfig, args)
    out = Path(args.out)
    env = make_env(args.env_id)
    try:
        # No expert, or one that cannot lag: one clear line before any folder is made.
        LaggedExpert(make_expert(env), config.lag)
        # One call that creates or opens: of several `expert --out` runs started at once,
        # one creates the dataset and the others append to it.
        dataset = DemoDataset.open_or_create(out, env_id=args.env_id,
                                             observation_space=env.observation_space,
                                             action_space=env.action_space,
                                             operator="scripted expert")
    finally:
        env.close()
    note_repair(args, dataset)
    returns = []
    with _progress(config.episodes, "episodes") as bar:
        for episode in expert_episodes(args.env_id, config.seeds, noise=config.noise,
                                       clean_labels=config.clean_labels,
                                       max_steps=config.max_steps, lag=config.lag):
            dataset.append(episode, tags=config.tags)
            returns.append(float(np.sum(episode.rewards)))
            bar.update()
    dataset.close()  # Minari's index files list the new episodes
    return {
        "env_id": args.env_id,
        "dataset": str(out),
        "episodes_added": config.episodes,
        "episodes": len(dataset),
        "return_mean": float(np.mean(returns)),
        "return_std": float(np.std(returns)),
    }


def cmd_train(args: argparse.Namespace) -> dict[str, Any] | None:
    """Train a BC policy on a dataset and save the checkpoint.

    In one of several torchrun processes (`World.from_env`), rank 0 alone prints and saves;
    the other ranks return None.
    """
    config: TrainConfig = config_from_args(TrainConfig, args)
    world = World.from_env()
    opened = open_dataset(args) if world.is_main else DemoDataset.open(Path(args.dataset))
    dataset = opened if args.episode_ids is None else EpisodeSubset(opened, args.episode_ids)
    with _progress(0, "training") as bar:
        bar.disable = bar.disable or not world.is_main

        def show(progress: TrainProgress) -> None:
            if args.progress_json and world.is_main:
                print(strict_json({"progress": dataclasses.asdict(progress)}), flush=True)
            if progress.loaded is not None:
                bar.set_description(f"loading frames {100 * progress.loaded:.0f}%")
                return
            bar.set_description("training")
            bar.total = progress.total_steps
            bar.n = progress.step
            if progress.train_loss is not None:
                bar.set_postfix(loss=f"{progress.train_loss:.4f}", refresh=False)
            bar.refresh()

        result = drain(train_bc(config, dataset, world=world,
                                timeout_s=args.collective_timeout), show)
    if not world.is_main:
        return None
    out = Path(args.out)
    save_policy(out, result.policy, config, dataset_fingerprint=result.dataset_fingerprint)
    return {
        "world_size": world.size,
        "global_batch": config.batch_size * world.size,
        "env_id": dataset.env_id,
        "policy": str(out),
        "device": str(result.device),
        "preprocessing": result.policy.spec.pipeline.describe(),
        "cancelled": result.cancelled,
        "steps": result.metrics.step,
        "epochs": result.metrics.epoch,
        "seconds": result.seconds,
        "samples_per_s": result.samples_per_s,
        # The saved policy's figures: those of the step whose weights were kept.
        "kept_step": result.kept.step,
        "stopped_early": result.stopped_early,
        "train_loss": result.kept.train_loss,
        "val_loss": result.kept.val_loss,
        "val_accuracy": result.kept.val_accuracy,
        "val_action_error": result.kept.val_action_error,
        "overfitting": overfit_warning(result.history),
        "train_episodes": len(result.train_episodes),
        "val_episodes": len(result.val_episodes),
        "dataset_fingerprint": result.dataset_fingerprint,
        "train_episode_ids": list(result.train_episodes),
        "val_episode_ids": list(result.val_episodes),
    }


def cmd_eval(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate a saved policy for N seeded episodes."""
    config: EvalConfig = config_from_args(EvalConfig, args)
    policy = load_policy(Path(args.policy))
    result = evaluate(policy, policy.spec.env_id, **dataclasses.asdict(config))
    return {
        "env_id": result.env_id,
        "policy": str(args.policy),
        "episodes": result.episodes,
        "deterministic": config.deterministic,
        "return_mean": result.return_mean,
        "return_std": result.return_std,
        "length_mean": result.length_mean,
        "returns": [float(r) for r in result.returns],
    }


def irl_config(args: argparse.Namespace) -> AdversarialConfig | MaxEntConfig:
    """The config of a parsed `clonelab irl`: AdversarialConfig, or MaxEntConfig for maxent.

    For maxent, --steps sets the iterations (unless --maxent-iterations does).
    """
    if args.method == "maxent":
        fixed = {}
        if hasattr(args, "steps") and not hasattr(args, "maxent_iterations"):
            fixed["iterations"] = args.steps
        return config_from_args(MaxEntConfig, args, prefix="maxent_", **fixed)
    return config_from_args(AdversarialConfig, args, method=args.method)


def cmd_irl(args: argparse.Namespace) -> dict[str, Any]:
    """Learn a reward from a dataset (AIRL, GAIL or MaxEnt), save the policy trained on it."""
    config = irl_config(args)
    dataset = open_dataset(args)
    with _progress(0, args.method) as bar:

        def show(done: int, total: int) -> None:
            bar.total, bar.n = total, done
            bar.refresh()

        return run_irl(dataset, Path(args.out), config, seed=getattr(args, "seed", 0),
                       on_progress=show)


def dagger_config(args: argparse.Namespace) -> DaggerConfig:
    """The `DaggerConfig` of a parsed `clonelab dagger` (its --seed seeds the clones too)."""
    config: DaggerConfig = config_from_args(DaggerConfig, args, env_id=args.env_id)
    return config.with_train(config_from_args(TrainConfig, args, base=DEFAULT_TRAIN,
                                              prefix="train_"))


def cmd_dagger(args: argparse.Namespace) -> dict[str, Any]:
    """DAgger with the env's scripted expert against BC at equal labels, saved in a new folder."""
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out}: already exists and is not empty; choose a new --out folder")
    config = dagger_config(args)
    env = make_env(args.env_id)
    try:
        make_expert(env)  # no expert: one clear line before any folder is made
        dataset = DemoDataset.create(out / "data", env_id=args.env_id,
                                     observation_space=env.observation_space,
                                     action_space=env.action_space, operator="scripted expert")
    finally:
        env.close()
    with _progress(config.iterations, "iterations") as bar:
        result = drain(run_dagger(config, record_to=dataset), lambda record: bar.update())
    summary = result.summary() | {"dataset": str(out / "data"), "policy": str(out / "policy.pt")}
    save_policy(out / "policy.pt", result.policy, config.train,
                dataset_fingerprint=dataset.fingerprint())
    if result.bc_policy is not None:
        save_policy(out / "bc_policy.pt", result.bc_policy, config.train)
        summary["bc_policy"] = str(out / "bc_policy.pt")
    (out / "dagger.json").write_text(strict_json(summary, indent=1) + "\n", encoding="utf-8")
    return summary
