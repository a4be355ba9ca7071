"""Maximum-causal-entropy IRL (Ziebart 2010) on a tabular MDP, as a progress generator.

The reward is linear in one-hot cell features, r(s) = w[cell(s)]. Each iteration:

1. soft value iteration over a finite horizon gives the max-causal-entropy policy
   pi_t(a|s) = exp(Q_t(s, a) - V_t(s)), with V_t(s) = log sum_a exp Q_t(s, a);
2. a forward pass from the demos' start states gives the policy's expected cell visits;
3. the gradient of the demos' log-likelihood is (demo visits - expected visits), and Adam
   takes a step up it.

At the optimum the policy visits each cell as often as the demos do. `train_maxent` yields a
`MaxEntProgress` every `log_every` iterations and returns a `MaxEntResult` with the reward as a
grid (NaN on walls), the demos' paths over it, and the optimal plan under the learned reward.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np

from clonelab.models.irl import IRLError
from clonelab.models.irl.tabular import Plan, TabularMDP, value_iteration
from clonelab.recorder.configs import check_counts
from clonelab.recorder.jobs import CancelCheck, Stopwatch, cancel_check

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class MaxEntConfig:
    """Settings of a maximum-causal-entropy IRL run."""

    iterations: int = 300
    """Gradient steps on the reward weights."""
    lr: float = 0.1
    """Adam's step size on the reward weights."""
    horizon: int | None = None
    """Steps of the soft planning horizon; None: twice the longest demo."""
    l2: float = 0.0
    """Pull of the weights toward 0 (an L2 penalty on the log-likelihood)."""
    log_every: int = 10
    """Iterations between progress records."""

    def __post_init__(self) -> None:
        check_counts(self, "iterations", "log_every", optional=("horizon",))
        if not (self.lr > 0 and math.isfinite(self.lr)) or self.l2 < 0:
            raise ValueError(f"MaxEntConfig: lr must be positive and l2 not negative, got "
                             f"{self.lr!r} and {self.l2!r}")


@dataclass(frozen=True, kw_only=True)
class MaxEntProgress:
    """One progress record of MaxEnt IRL."""

    iteration: int
    total_iterations: int
    feature_gap: float
    """Sum over cells of |demo visits - expected visits| per episode (0 at the optimum)."""
    log_likelihood: float
    """Mean log-probability per step of the demos' moves under the soft-optimal policy."""
    elapsed_s: float


@dataclass(frozen=True, kw_only=True, eq=False)
class MaxEntResult:
    """A learned tabular reward with what the app draws over it."""

    mdp: TabularMDP
    weights: np.ndarray
    """(height * width,) learned reward per cell (0 on cells no state occupies)."""
    reward_grid: np.ndarray
    """(height, width) the learned reward per cell, NaN on walls: the heatmap."""
    state_reward: np.ndarray
    """(S,) the learned reward of each state (0 for the exit state)."""
    demo_paths: tuple[np.ndarray, ...]
    """Per demo, the (x, y) cells it visited, in order: the paths drawn over the heatmap."""
    plan: Plan
    """The optimal (discounted) deterministic policy under the learned reward."""
    metrics: MaxEntProgress
    history: tuple[MaxEntProgress, ...]
    seconds: float
    cancelled: bool


def soft_policies(mdp: TabularMDP, state_reward: np.ndarray, horizon: int) -> np.ndarray:
    """(horizon, S, A) the max-causal-entropy policy at each step under `state_reward`."""
    values = np.zeros(mdp.n_states)
    policies = np.empty((horizon, mdp.n_states, mdp.n_actions))
    for t in reversed(range(horizon)):
        q = state_reward[:, None] + mdp.transitions @ values
        top = q.max(axis=1, keepdims=True)
        values = (top + np.log(np.exp(q - top).sum(axis=1, keepdims=True)))[:, 0]
        policies[t] = np.exp(q - values[:, None])
    return policies


def expected_visits(mdp: TabularMDP, policies: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(S,) expected visits of each state over the horizon from the `start` distribution."""
    occupancy = start.astype(np.float64)
    visits = np.zeros(mdp.n_states)
    for policy in policies:
        visits += occupancy
        occupancy = np.einsum("s,sa,sat->t", occupancy, policy, mdp.transitions)
    return visits


def _demo_visits(mdp: TabularMDP, demos: Sequence[np.ndarray]) -> np.ndarray:
    visits = np.zeros(mdp.n_states)
    for states in demos:
        np.add.at(visits, states, 1.0)
    return visits / len(demos)


def _log_likelihood(mdp: TabularMDP, policies: np.ndarray, demos: Sequence[np.ndarray]
                    ) -> float:
    """Mean log P(s_{t+1} | s_t) of the demos' moves under the time-indexed soft policy."""
    total, moves = 0.0, 0
    for states in demos:
        for t in range(min(len(states) - 1, len(policies))):
            s, following = states[t], states[t + 1]
            probability = policies[t, s] @ mdp.transitions[s, :, following]
            total += math.log(max(probability, 1e-300))
            moves += 1
    return total / max(moves, 1)


def _check_demos(mdp: TabularMDP, demos: Sequence[np.ndarray]) -> None:
    if not demos or any(len(states) == 0 for states in demos):
        raise IRLError(f"{mdp.name}: MaxEnt IRL needs at least one demo with states")
    for number, states in enumerate(demos):
        if states.min() < 0 or states.max() >= mdp.n_states:
            raise IRLError(f"{mdp.name}: demo {number} has state indices outside the MDP")


def train_maxent(
    mdp: TabularMDP,
    demos: Sequence[np.ndarray],
    config: MaxEntConfig | None = None,
    *,
    cancel: CancelCheck | None = None,
) -> Generator[MaxEntProgress, None, MaxEntResult]:
    """Learn a per-cell reward under which the demos (state index sequences) are most likely.

    Yields a `MaxEntProgress` every `log_every` iterations; returns a `MaxEntResult`.
    `cancel` (a callable or a `threading.Event`) is checked before every iteration.
    """
    config = config or MaxEntConfig()
    clock = Stopwatch()
    clock.start()
    should_stop = cancel_check(cancel)
    demos = [np.asarray(states, dtype=np.int64) for states in demos]
    _check_demos(mdp, demos)
    horizon = config.horizon or 2 * max(len(states) for states in demos)
    features = mdp.features
    start = np.bincount([int(states[0]) for states in demos], minlength=mdp.n_states)
    start = start / start.sum()
    demo_features = features.T @ _demo_visits(mdp, demos)
    weights = np.zeros(features.shape[1])
    first, second = np.zeros_like(weights), np.zeros_like(weights)  # Adam's moments
    history: list[MaxEntProgress] = []
    cancelled = False
    iteration = 0

    def record(policies: np.ndarray, gap: float) -> MaxEntProgress:
        progress = MaxEntProgress(
            iteration=iteration, total_iterations=config.iterations, feature_gap=gap,
            log_likelihood=_log_likelihood(mdp, policies, demos), elapsed_s=clock.elapsed)
        history.append(progress)
        return progress

    while True:
        policies = soft_policies(mdp, features @ weights, horizon)
        gradient = demo_features - features.T @ expected_visits(mdp, policies, start)
        gap = float(np.abs(gradient).sum())
        if iteration == config.iterations or (iteration and iteration % config.log_every == 0):
            progress = record(policies, gap)
            clock.stop()
            yield progress
            clock.start()
        if iteration == config.iterations:
            break
        if should_stop():
            cancelled = True
            if not history or history[-1].iteration != iteration:
                record(policies, gap)
            break
        iteration += 1
        gradient = gradient - config.l2 * weights
        first = 0.9 * first + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient**2
        step_first = first / (1 - 0.9**iteration)
        step_second = second / (1 - 0.999**iteration)
        weights = weights + config.lr * step_first / (np.sqrt(step_second) + 1e-8)
    state_reward = features @ weights
    clock.stop()
    log.info("MaxEnt IRL on %s: %d iterations, feature gap %.4f, %.1f s", mdp.name, iteration,
             history[-1].feature_gap, clock.total)
    return MaxEntResult(
        mdp=mdp,
        weights=weights,
        reward_grid=mdp.reward_grid(weights),
        state_reward=state_reward,
        demo_paths=tuple(mdp.state_cells[states[states != mdp.exit_state]] for states in demos),
        plan=value_iteration(mdp, state_reward),
        metrics=history[-1],
        history=tuple(history),
        seconds=clock.total,
        cancelled=cancelled,
    )
