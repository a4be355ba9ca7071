"""Adversarial IRL (AIRL, and GAIL as the baseline) from a CloneLab dataset, as a generator.

Each round: PPO collects one rollout under the current learned reward and updates itself
(`models.irl.rl.PPOLearner`); then the discriminator takes a few Adam steps telling the demos'
transitions from the policy's recent ones (binary cross-entropy on its expert-is-high logit).
`train_adversarial` yields a frozen `IRLProgress` every `log_every` env steps (every PPO round
by default) and returns an `IRLResult` with the policy (a CloneLab `Policy`) and the reward
network. Cancel is cooperative, checked before every round, as in `models.training.train_bc`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from clonelab.models.checkpoint import save_policy
from clonelab.models.irl import IRLError
from clonelab.models.irl.reward import (
    Method,
    RewardModel,
    RewardSpec,
    Transitions,
    episode_transitions,
    save_reward,
)
from clonelab.models.irl.rl import PPOConfig, PPOLearner, ppo_preset
from clonelab.models.policy import Policy, observation_kind
from clonelab.models.training import TrainConfig
from clonelab.recorder.configs import check_counts
from clonelab.recorder.jobs import CancelCheck, Stopwatch, cancel_check

log = logging.getLogger(__name__)

POLICY_FILE = "policy.pt"
REWARD_FILE = "reward.pt"


@dataclass(frozen=True, kw_only=True)
class AdversarialConfig:
    """Everything that shapes an AIRL or GAIL run."""

    method: Method = "airl"
    """"airl" (a state-only reward g(s) plus shaping) or "gail" (a classifier of (s, a))."""
    steps: int = 100_000
    """Env steps the policy takes in training (all parallel envs together)."""
    seed: int = 0
    """Seeds the networks, the envs and the discriminator's batches."""
    ppo: PPOConfig | None = None
    """PPO's settings; None takes `models.irl.rl.ppo_preset(env_id)`."""
    reward_hidden: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the reward (and shaping) networks."""
    disc_lr: float = 3e-4
    """Adam learning rate of the discriminator."""
    disc_updates: int | None = None
    """Discriminator steps per round; None: enough to see a round's transitions about once
    (rollout size / disc_batch_size, at least 4). Measured on Pendulum (4,096 steps a round,
    200k steps): 4 steps a round left the discriminator at chance for 60k steps and the policy
    at -452; 16 gave -141."""
    disc_batch_size: int = 256
    """Policy transitions per discriminator step (as many expert ones join them)."""
    replay_rounds: int = 4
    """The discriminator sees the policy's transitions of this many recent rounds."""
    log_every: int | None = None
    """Env steps between progress records; None: one record per PPO round."""
    checkpoint_every: int = 0
    """Env steps between checkpoints when a checkpoint folder is given (0: only at the end)."""

    def __post_init__(self) -> None:
        if self.method not in ("airl", "gail"):
            raise ValueError(f"AdversarialConfig: method must be 'airl' or 'gail', "
                             f"got {self.method!r}")
        check_counts(self, "steps", "disc_batch_size", "replay_rounds",
                     optional=("disc_updates", "log_every"))
        if not (isinstance(self.checkpoint_every, int) and self.checkpoint_every >= 0):
            raise ValueError(f"AdversarialConfig: checkpoint_every must be 0 or more, "
                             f"got {self.checkpoint_every!r}")
        if not (self.disc_lr > 0 and math.isfinite(self.disc_lr)):
            raise ValueError(f"AdversarialConfig: disc_lr must be positive, got {self.disc_lr!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the PPO settings as a nested dict, or None)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class IRLProgress:
    """One progress record of adversarial IRL."""

    env_steps: int
    """Env steps taken by the policy so far."""
    total_steps: int
    """Env steps the run will take if not cancelled."""
    rounds: int
    """Rollout-and-update rounds done."""
    disc_loss: float
    """Mean discriminator loss (binary cross-entropy) since the previous record."""
    disc_accuracy: float
    """Share of the last discriminator batch told apart correctly (expert and policy rows)."""
    true_return: float | None
    """Mean true return of the policy's last finished training episodes (None before one)."""
    learned_reward_policy: float
    """Mean learned reward over the policy's latest rollout."""
    learned_reward_expert: float
    """Mean learned reward over the demos' transitions."""
    elapsed_s: float
    """Seconds spent inside training so far (time the caller holds a record is excluded)."""


@dataclass(frozen=True, kw_only=True)
class IRLResult:
    """What a finished (or cancelled) adversarial run returns."""

    method: Method
    env_id: str
    policy: Policy
    """The final policy (PPO's deterministic actor as a CloneLab Policy), in eval mode."""
    reward: RewardModel
    """The learned reward network, in eval mode."""
    metrics: IRLProgress
    """The last record of `history`."""
    history: tuple[IRLProgress, ...]
    env_steps: int
    seconds: float
    cancelled: bool
    dataset_fingerprint: str
    config: AdversarialConfig
    ppo: PPOConfig
    """The PPO settings used (the preset when config.ppo was None)."""


def expert_transitions(dataset: Any) -> Transitions:
    """Every step of every episode of a `DemoDataset` as (s, a, s', terminated) rows.

    Raises `IRLError` for image datasets, empty ones and non-finite observations.
    """
    where = f"dataset for {dataset.env_id}"
    if observation_kind(dataset.observation_space) != "vector":
        raise IRLError(f"{where}: adversarial IRL takes vector observations; use --method "
                       "maxent for MiniGrid rooms")
    episodes = [episode_transitions(dataset.load_episode(i)) for i in dataset.episode_ids]
    episodes = [e for e in episodes if len(e)]
    if not episodes:
        raise IRLError(f"{where} has no steps; record some episodes first")
    rows = Transitions.concat(episodes)
    if not np.isfinite(rows.observations).all() or not np.isfinite(rows.next_observations).all():
        raise IRLError(f"{where}: observations contain NaN or inf; fix or delete that episode")
    return rows


def _tensors(rows: Transitions) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(rows.observations, dtype=torch.float32),
            torch.as_tensor(rows.actions),
            torch.as_tensor(rows.next_observations, dtype=torch.float32),
            torch.as_tensor(rows.terminated))


def save_checkpoint(folder: str | os.PathLike[str], policy: Policy, reward: RewardModel,
                    config: AdversarialConfig, ppo: PPOConfig, *, fingerprint: str) -> Path:
    """Write `policy.pt` (a models.checkpoint policy) and `reward.pt` into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # The policy file's JSON holds a BC TrainConfig; the IRL settings live in the CLI's irl.json.
    described = TrainConfig(hidden=ppo.hidden, seed=config.seed, device="cpu")
    save_policy(folder / POLICY_FILE, policy, described, dataset_fingerprint=fingerprint)
    save_reward(folder / REWARD_FILE, reward)
    return folder


def train_adversarial(
    config: AdversarialConfig,
    dataset: Any,
    *,
    cancel: CancelCheck | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> Generator[IRLProgress, None, IRLResult]:
    """Run AIRL or GAIL on `dataset` (a `DemoDataset` of a vector-observation env).

    Yields an `IRLProgress` every `config.log_every` env steps and returns an `IRLResult`
    (StopIteration.value; `recorder.jobs.drain` runs it). `cancel` (a callable
    or a `threading.Event`) is checked before every round; a cancelled run returns what it
    has with `cancelled=True`. With `checkpoint_dir`, `policy.pt` and `reward.pt` are written
    there every `config.checkpoint_every` env steps and at the end.
    """
    clock = Stopwatch()
    clock.start()
    should_stop = cancel_check(cancel)
    expert = expert_transitions(dataset)
    env_id = dataset.env_id
    ppo_config = config.ppo or ppo_preset(env_id)
    spec = RewardSpec(method=config.method, env_id=env_id,
                      observation_space=dataset.observation_space,
                      action_space=dataset.action_space, hidden=config.reward_hidden,
                      gamma=ppo_config.gamma)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = RewardModel(spec)
    model.set_observation_stats(expert.observations)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.disc_lr)
    rng = np.random.default_rng(config.seed)
    expert_tensors = _tensors(expert)

    def reward_fn(obs: np.ndarray, actions: np.ndarray, next_obs: np.ndarray,
                  terminated: np.ndarray) -> np.ndarray:
        rows = _tensors(Transitions(obs, actions, next_obs, terminated))
        log_pi = learner.log_prob(obs, actions) if config.method == "airl" else None
        with torch.no_grad():
            return model.policy_reward(*rows, log_pi).numpy()

    learner = PPOLearner(env_id, ppo_config, reward_fn=reward_fn,
                         obs_mean=model.obs_mean.numpy(), obs_std=model.obs_std.numpy(),
                         seed=config.seed, total_steps=config.steps,
                         replay_rounds=config.replay_rounds)
    log.info("%s on %s: %d demo steps, %d env steps, %d per round", config.method, env_id,
             len(expert), config.steps, ppo_config.steps_per_round)
    history: list[IRLProgress] = []
    losses: list[float] = []
    accuracy = math.nan
    rollout: Transitions | None = None
    rounds = 0
    log_every = config.log_every or ppo_config.steps_per_round
    next_log, next_checkpoint = log_every, config.checkpoint_every

    def record() -> IRLProgress:
        with torch.no_grad():
            on_policy = model.score(rollout.observations, rollout.actions) if rollout else [0.0]
            on_expert = model.reward(*expert_tensors[:2])
        progress = IRLProgress(
            env_steps=learner.env_steps, total_steps=config.steps, rounds=rounds,
            disc_loss=float(np.mean(losses)) if losses else math.nan,
            disc_accuracy=accuracy, true_return=learner.true_return(),
            learned_reward_policy=float(np.mean(on_policy)),
            learned_reward_expert=float(on_expert.mean()), elapsed_s=clock.elapsed,
        )
        history.append(progress)
        return progress

    cancelled = False
    saved_at = -1  # env steps of the last checkpoint written

    def save(policy: Policy) -> None:
        nonlocal saved_at
        if checkpoint_dir is not None and saved_at != learner.env_steps:
            save_checkpoint(checkpoint_dir, policy, model, config, ppo_config,
                            fingerprint=dataset.fingerprint())
            saved_at = learner.env_steps

    try:
        while learner.env_steps < config.steps:
            if should_stop():
                cancelled = True
                break
            rollout = learner.run_round()
            rounds += 1
            step_losses, accuracy = _train_discriminator(
                model, optimizer, expert, learner.transitions.replay(), learner, config, rng)
            losses += step_losses
            finished = learner.env_steps >= config.steps
            due = 0 < next_checkpoint <= learner.env_steps or finished
            if checkpoint_dir is not None and due:
                # The last round saves before its record, so the files match every record.
                next_checkpoint += config.checkpoint_every
                save(learner.policy())
            if learner.env_steps >= next_log or finished:
                next_log = learner.env_steps + log_every
                progress = record()
                losses = []
                clock.stop()
                yield progress
                clock.start()
        if not history or history[-1].env_steps != learner.env_steps:
            record()
        policy = learner.policy()
    finally:
        learner.close()
    model.eval()
    save(policy)
    clock.stop()
    log.info("%s %s after %d env steps in %.1f s", config.method,
             "cancelled" if cancelled else "finished", learner.env_steps, clock.total)
    return IRLResult(
        method=config.method, env_id=env_id, policy=policy, reward=model,
        metrics=history[-1], history=tuple(history), env_steps=learner.env_steps,
        seconds=clock.total, cancelled=cancelled, dataset_fingerprint=dataset.fingerprint(),
        config=config, ppo=ppo_config,
    )


def _train_discriminator(
    model: RewardModel,
    optimizer: torch.optim.Optimizer,
    expert: Transitions,
    generated: Transitions,
    learner: PPOLearner,
    config: AdversarialConfig,
    rng: np.random.Generator,
) -> tuple[list[float], float]:
    """A few Adam steps of binary cross-entropy; returns the losses and the last accuracy."""
    model.train()
    losses: list[float] = []
    accuracy = math.nan
    size = config.disc_batch_size
    rollout = learner.config.steps_per_round
    updates = config.disc_updates or max(4, rollout // config.disc_batch_size)
    for _ in range(updates):
        parts = (expert.take(rng.integers(len(expert), size=size)),
                 generated.take(rng.integers(len(generated), size=size)))
        batch = Transitions.concat(list(parts))
        log_pi = (learner.log_prob(batch.observations, batch.actions)
                  if config.method == "airl" else None)
        logits = model.logits(*_tensors(batch), log_pi)
        labels = torch.cat([torch.ones(size), torch.zeros(size)])
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        if not torch.isfinite(loss):
            raise IRLError(f"the discriminator loss became {float(loss)}; lower disc_lr")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        accuracy = float(((logits.detach() > 0).float() == labels).float().mean())
    model.eval()
    return losses, accuracy

