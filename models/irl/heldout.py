"""How well a learned reward matches the true one, on held-out states the demos never showed.

The held-out steps come from fresh rollouts (seeds no demo used) of three kinds of play: the
scripted expert, the same expert taking random actions half of the time, and uniformly random
actions, so they span good, mediocre and failing states. Two correlations are measured:

- `reward`: Pearson correlation of the learned r(s, a) with the env's reward at each step.
  It is None when the true reward is the same at every held-out step (CartPole's +1 a step),
  where a correlation means nothing.
- `return_to_go`: correlation with the true discounted return from that step on, with
  `DISCOUNT` (0.9, a horizon of about 10 steps). For CartPole this is how many of the next
  steps the pole stays up: what its +1-per-step reward encodes. Steps too close to a
  time-limit cut are left out, since their return-to-go is cut by the clock, not the play.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from clonelab.models.irl.reward import RewardModel, Transitions

DISCOUNT = 0.9
# Steps before a time-limit cut whose discounted tail would still weigh more than 1%.
_CUT_MARGIN = math.ceil(math.log(0.01) / math.log(DISCOUNT))


@dataclass(frozen=True)
class HeldOutSteps:
    """Held-out transitions with their true reward and true discounted return-to-go."""

    transitions: Transitions
    true_reward: np.ndarray
    return_to_go: np.ndarray
    source: np.ndarray
    """Which play produced each row: "expert", "noisy expert" or "random"."""


@dataclass(frozen=True, kw_only=True)
class RewardCorrelation:
    """Pearson correlations of the learned reward on held-out steps (see the module notes)."""

    reward: float | None
    return_to_go: float | None
    steps: int


def _play(env: gym.Env, act: Callable[[Any], Any], seed: int
          ) -> tuple[Transitions, np.ndarray, np.ndarray]:
    """One episode: its transitions, rewards, and return-to-go (rows near a cut removed)."""
    observation, _ = env.reset(seed=seed)
    rows: list[tuple[Any, Any, Any, bool]] = []
    rewards: list[float] = []
    while True:
        action = act(observation)
        following, reward, terminated, truncated, _ = env.step(action)
        rows.append((observation, action, following, bool(terminated)))
        rewards.append(float(reward))
        observation = following
        if terminated or truncated:
            break
    returns = np.zeros(len(rewards))
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + DISCOUNT * running
        returns[t] = running
    keep = len(rows) if terminated else max(0, len(rows) - _CUT_MARGIN)
    obs, actions, next_obs, ends = (np.asarray(column) for column in zip(*rows, strict=True))
    steps = Transitions(obs, actions, next_obs, ends.astype(bool)).take(np.arange(keep))
    return steps, np.asarray(rewards)[:keep], returns[:keep]


def collect_held_out(env_id: str, *, episodes: int = 4, seed: int = 50_000) -> HeldOutSteps:
    """Play `episodes` episodes of each kind (expert ones only where a scripted expert exists).

    Episode i of each kind is reset with `seed + i`; keep `seed` clear of the demos' seeds.
    """
    from clonelab.recorder.catalog import make_env
    from clonelab.recorder.experts import has_expert, make_expert

    env = make_env(env_id)
    try:
        env.action_space.seed(seed)
        players: list[tuple[str, Callable[[Any], Any]]] = [
            ("random", lambda _obs: env.action_space.sample())]
        if has_expert(env_id):
            expert = make_expert(env, seed=seed)
            noisy = make_expert(env, noise=0.5, seed=seed)
            players += [("expert", expert.act), ("noisy expert", noisy.act)]
        parts, rewards, returns, sources = [], [], [], []
        for name, act in players:
            for i in range(episodes):
                steps, reward, to_go = _play(env, act, seed + i)
                parts.append(steps)
                rewards.append(reward)
                returns.append(to_go)
                sources += [name] * len(steps)
    finally:
        env.close()
    return HeldOutSteps(Transitions.concat(parts), np.concatenate(rewards),
                        np.concatenate(returns), np.asarray(sources))


def _pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def reward_correlation(model: RewardModel, held_out: HeldOutSteps) -> RewardCorrelation:
    """Correlate `model`'s learned reward with the true reward and return-to-go."""
    steps = held_out.transitions
    learned = model.score(steps.observations, steps.actions)
    return RewardCorrelation(
        reward=_pearson(learned, held_out.true_reward),
        return_to_go=_pearson(learned, held_out.return_to_go),
        steps=len(steps),
    )
