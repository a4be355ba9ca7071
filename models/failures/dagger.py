"""DAgger with a scripted expert, and a BC baseline given the same number of expert labels.

Iteration i rolls out a mix of the expert and the current clone: at each step the expert acts
with probability beta_i = beta0 * decay^i, else the clone (iteration 0 with beta0 = 1 is plain
expert demos, so DAgger starts as BC). The expert labels every visited state; the labels are
aggregated and a fresh clone trains on all of them. The baseline trains with the same config on
expert demos only, cut to exactly as many labels, and both clones are evaluated on the same
seeded starts. Episode seeds are shared: DAgger's iteration 0 plays the baseline's first demos.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from clonelab.models.agent import PolicyAgent
from clonelab.models.evaluation import evaluate
from clonelab.models.failures.subsets import TransitionSet
from clonelab.models.failures.takeover import Decision, Solo, play_episode
from clonelab.models.policy import Policy
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.catalog import make_env
from clonelab.recorder.configs import check_counts
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.experts import LaggedExpert, make_expert
from clonelab.recorder.experts.lagged import check_lag
from clonelab.recorder.jobs import CancelCheck, cancel_check, drain
from clonelab.recorder.session import PlaySession
from clonelab.recorder.sources import ActionSource

log = logging.getLogger(__name__)

# Episode i of a run with seed s is reset with seed s * SEED_STRIDE + i; evaluation episodes
# start at EVAL_OFFSET within that stride, so they never replay a training start.
SEED_STRIDE = 1_000_000
EVAL_OFFSET = 500_000
DATA_TAG = "dagger"
# Defaults from bench/dagger_seeds.py (docs/failures.md): with one hidden layer of 4 units BC
# cannot fit the LunarLander expert over the expert's whole state distribution and DAgger, whose
# labels come from the clone's own states, leads it over 8 seeds; docs/failures.md says where
# DAgger did not lead.
DEFAULT_TRAIN = TrainConfig(steps=1000, batch_size=128, hidden=(4,))


@dataclass(frozen=True, kw_only=True)
class DaggerConfig:
    """One DAgger run against its BC baseline; shared by the CLI and the app."""

    env_id: str
    """An env with a scripted expert (recorder.experts.EXPERT_ENV_IDS)."""
    iterations: int = 8
    """DAgger iterations (iteration 0 included)."""
    episodes_per_iter: int = 1
    """Episodes rolled out and labelled per iteration."""
    beta0: float = 1.0
    """The expert's probability of acting at iteration 0 (which has no clone yet, so the expert
    acts throughout it whatever beta0 says)."""
    decay: float = 0.5
    """beta_i = beta0 * decay ** i."""
    train: TrainConfig = DEFAULT_TRAIN
    """Training of every clone, DAgger's and the baseline's (retrained from scratch each time)."""
    eval_episodes: int = 20
    """Seeded evaluation episodes per clone."""
    max_episode_steps: int | None = None
    """Cap on the length of rolled-out and evaluation episodes (None: the env's own limit)."""
    expert_noise: float = 0.0
    """Probability that the expert (acting or labelling) takes a random action."""
    expert_lag: int = 0
    """Steps the expert (acting and labelling) lags behind: it answers the observation from
    this many steps ago, as a person reacting late would (0: no lag)."""
    baseline: bool = True
    """Train and evaluate the BC baseline at equal labels."""
    curve: bool = True
    """Evaluate (and train the baseline) at every iteration; False does so only after the
    last one, which saves most of the time when only the end point matters."""
    seed: int = 0
    """Seeds the episode starts, the beta draws and the expert's noise."""

    def __post_init__(self) -> None:
        check_counts(self, "iterations", "episodes_per_iter", "eval_episodes",
                     optional=("max_episode_steps",))
        check_lag(self.expert_lag)
        if not 0.0 <= self.beta0 <= 1.0 or not 0.0 <= self.decay <= 1.0:
            raise ValueError(f"DaggerConfig: beta0 and decay must lie in [0, 1], got "
                             f"{self.beta0!r} and {self.decay!r}")

    def beta(self, iteration: int) -> float:
        """The expert's probability of acting at `iteration`."""
        return self.beta0 * self.decay**iteration

    def with_train(self, train: TrainConfig) -> DaggerConfig:
        """This run with `train` for every clone, seeded by this run's seed (one seed for all)."""
        return dataclasses.replace(self, train=dataclasses.replace(train, seed=self.seed))


@dataclass(frozen=True, kw_only=True)
class DaggerProgress:
    """One finished iteration: its data and both clones' returns."""

    iteration: int
    iterations: int
    beta: float
    labels: int
    """Expert labels aggregated so far (the baseline trained on as many)."""
    expert_share: float
    """Share of this iteration's steps where the expert acted."""
    dagger_return: float | None
    """Mean evaluation return of DAgger's clone after this iteration (None when not scored:
    `curve=False` scores the last iteration only)."""
    bc_return: float | None
    """Mean evaluation return of the baseline at equal labels (None without a baseline, or
    when not scored)."""
    elapsed_s: float


@dataclass(frozen=True, kw_only=True)
class DaggerResult:
    """Per-iteration returns of DAgger and of BC at equal labels, and the final clones."""

    config: DaggerConfig
    policy: Policy | None
    """DAgger's last clone (None when cancelled before iteration 0 ended)."""
    bc_policy: Policy | None
    """The baseline's last clone (None without a baseline)."""
    data: TransitionSet
    """Every aggregated state with its expert label."""
    history: tuple[DaggerProgress, ...]
    cancelled: bool

    @property
    def iteration_returns(self) -> list[float | None]:
        return [record.dagger_return for record in self.history]

    @property
    def bc_returns(self) -> list[float | None]:
        return [record.bc_return for record in self.history]

    @property
    def label_counts(self) -> list[int]:
        return [record.labels for record in self.history]

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers: the curve per iteration and the final returns."""
        return {
            "env_id": self.config.env_id,
            "iterations": len(self.history),
            "episodes_per_iter": self.config.episodes_per_iter,
            "betas": [record.beta for record in self.history],
            "label_counts": self.label_counts,
            "iteration_returns": self.iteration_returns,
            "bc_returns": self.bc_returns,
            "dagger_return": self.iteration_returns[-1] if self.history else None,
            "bc_return": self.bc_returns[-1] if self.history else None,
            "cancelled": self.cancelled,
        }


class BetaMix:
    """A `models.failures.takeover.Controller`: the expert acts with probability beta, else the
    clone;
    the expert labels every step."""

    def __init__(self, expert: ActionSource, agent: ActionSource | None, beta: float,
                 rng: np.random.Generator) -> None:
        self.expert = expert
        self.agent = agent
        self.beta = beta
        self.rng = rng

    def reset(self, seed: int | None = None) -> None:
        self.expert.reset(seed)
        if self.agent is not None:
            self.agent.reset(seed)

    def decide(self, observation: Any) -> Decision:
        label = self.expert.act(observation)
        if self.agent is None or self.rng.random() < self.beta:  # no clone yet: the expert
            return Decision(action=label, actor="expert", device="script", label=label)
        proposal = self.agent.act(observation)
        return Decision(action=proposal, actor="agent", device="policy", label=label,
                        agent_action=proposal)


class _ExpertPool:
    """Expert-only demos for the baseline, played on demand in the shared seed order."""

    def __init__(self, session: PlaySession, expert: ActionSource,
                 config: DaggerConfig) -> None:
        self.session, self.config = session, config
        self.expert = Solo(expert, actor="expert", device="script")
        env = session.env
        self.data = TransitionSet.empty(config.env_id, env.observation_space, env.action_space)
        self.episodes = 0

    def first(self, labels: int) -> TransitionSet:
        """Exactly `labels` expert labels: the first demos, the last one cut short."""
        while len(self.data) < labels:
            played = play_episode(self.session, self.expert, seed=_seed(self.config, self.episodes),
                                  max_steps=self.config.max_episode_steps)
            self.data = self.data.with_rows(played.episode.observations, played.labels,
                                            episode_id=self.episodes)
            self.episodes += 1
        return self.data.take(np.arange(labels))


def _seed(config: DaggerConfig, episode: int) -> int:
    return config.seed * SEED_STRIDE + episode


def _evaluate(policy: Policy, config: DaggerConfig) -> float:
    return evaluate(policy, config.env_id, episodes=config.eval_episodes,
                    seed=config.seed * SEED_STRIDE + EVAL_OFFSET,
                    max_steps=config.max_episode_steps).return_mean


def _roll_out(session: PlaySession, mix: BetaMix, config: DaggerConfig, data: TransitionSet,
              *, iteration: int, record_to: DemoDataset | None
              ) -> tuple[TransitionSet, float]:
    """One iteration's labelled episodes added to `data`, and the share the expert acted."""
    expert_steps = steps = 0
    for _ in range(config.episodes_per_iter):
        episode = data.next_episode_id()
        labelled = play_episode(session, mix, seed=_seed(config, episode),
                                max_steps=config.max_episode_steps).labelled()
        data = data.with_rows(labelled.observations, labelled.actions, episode_id=episode,
                              rewards=labelled.rewards)
        if record_to is not None:
            record_to.append(labelled, tags=(DATA_TAG, f"iteration={iteration}",
                                             f"beta={mix.beta:g}"))
        expert_steps += labelled.actors.count("expert")
        steps += labelled.steps
    return data, expert_steps / steps if steps else math.nan


def run_dagger(config: DaggerConfig, *, record_to: DemoDataset | None = None,
               cancel: CancelCheck | None = None
               ) -> Generator[DaggerProgress, None, DaggerResult]:
    """Run DAgger and its baseline, yielding a `DaggerProgress` after every iteration.

    Returns a `DaggerResult` (as StopIteration.value). With `record_to`, every labelled episode
    is committed as it ends: the expert's labels as actions, who acted in `actors`, tags
    "dagger", "iteration=<i>" and "beta=<b>". `cancel` (a callable or threading.Event) is checked
    between iterations and inside training; a cancelled run returns the iterations it finished.
    """
    clock = time.perf_counter()
    stop = cancel_check(cancel)
    rng = np.random.default_rng(config.seed)
    env = make_env(config.env_id)
    policy: Policy | None = None
    bc_policy: Policy | None = None
    history: list[DaggerProgress] = []
    data = TransitionSet.empty(config.env_id, env.observation_space, env.action_space)
    try:
        scripted = make_expert(env, noise=config.expert_noise, seed=config.seed)
        expert: ActionSource = (LaggedExpert(scripted, config.expert_lag)
                                if config.expert_lag else scripted)
        session = PlaySession(env, env_id=config.env_id)
        pool = _ExpertPool(session, expert, config)
        for iteration in range(config.iterations):
            if stop():
                break
            agent = PolicyAgent(policy, seed=config.seed) if policy is not None else None
            mix = BetaMix(expert, agent, config.beta(iteration), rng)
            data, expert_share = _roll_out(session, mix, config, data, iteration=iteration,
                                           record_to=record_to)
            trained = drain(train_bc(config.train, data, cancel=cancel))
            if trained.cancelled:
                break
            policy = trained.policy
            scored = config.curve or iteration == config.iterations - 1
            bc_return = None
            if config.baseline and scored:
                baseline = drain(train_bc(config.train, pool.first(len(data)),
                                                      cancel=cancel))
                if baseline.cancelled:
                    break
                bc_policy = baseline.policy
                bc_return = _evaluate(bc_policy, config)
            record = DaggerProgress(
                iteration=iteration, iterations=config.iterations, beta=mix.beta,
                labels=len(data), expert_share=expert_share,
                dagger_return=_evaluate(policy, config) if scored else None,
                bc_return=bc_return, elapsed_s=time.perf_counter() - clock,
            )
            history.append(record)
            log.info("DAgger iteration %d: %d labels, return %s (BC %s)", iteration,
                     record.labels, record.dagger_return, bc_return)
            yield record
    finally:
        env.close()
    return DaggerResult(config=config, policy=policy, bc_policy=bc_policy, data=data,
                        history=tuple(history),
                        cancelled=len(history) < config.iterations)
