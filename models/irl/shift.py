"""Distribution shift the demos never showed: wider starts, random pushes, action noise.

`ShiftWrapper` perturbs a classic-control env (CartPole, Pendulum) through its physical state
(`env.unwrapped.state`), and `evaluate_under_shift` plays a policy in it. Every random draw
comes from a generator seeded per episode and is made whatever the policy does, so two
policies evaluated with the same seed face the very same starts, pushes and slips: the
comparison of BC with IRL differs only in the policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from clonelab.models.agent import PolicyAgent
from clonelab.models.evaluation import EvalResult, check_fits
from clonelab.models.policy import Policy
from clonelab.recorder.sources import ActionSource

ShiftKind = Literal["none", "wide_starts", "pushes", "action_noise"]
SHIFT_KINDS: tuple[ShiftKind, ...] = ("none", "wide_starts", "pushes", "action_noise")


@dataclass(frozen=True)
class _Physics:
    """Where an env keeps its state, how wide `wide_starts` spreads it, what a push moves."""

    start_widths: tuple[float, ...]
    """Half-widths of the uniform start noise per state dimension at strength 1."""
    velocity_dims: tuple[int, ...]
    """State dimensions a push kicks (velocities)."""
    push_size: float
    """The standard deviation of a kick at strength 1."""


# CartPole's own starts are +-0.05 on every dimension; at strength 1 these reach +-0.5 m,
# +-0.5 m/s, +-0.1 rad (half of the 0.21 rad failure angle) and +-0.5 rad/s.
_PHYSICS = {
    "CartPole-v1": _Physics(start_widths=(0.5, 0.5, 0.1, 0.5), velocity_dims=(1, 3),
                            push_size=0.5),
    "Pendulum-v1": _Physics(start_widths=(0.0, 3.0), velocity_dims=(1,), push_size=1.0),
}


@dataclass(frozen=True, kw_only=True)
class Shift:
    """One perturbation and how strong it is."""

    kind: ShiftKind = "none"
    strength: float = 1.0
    """wide_starts and pushes: a scale on the env's widths; action_noise: the probability
    that the env carries out a uniformly random action instead of the policy's."""
    push_probability: float = 0.05
    """Pushes: the chance of a kick at each step."""

    def __post_init__(self) -> None:
        if self.kind not in SHIFT_KINDS:
            raise ValueError(f"shift kind must be one of {', '.join(SHIFT_KINDS)}, "
                             f"got {self.kind!r}")
        if self.strength < 0 or (self.kind == "action_noise" and self.strength > 1):
            raise ValueError(f"shift strength {self.strength!r} is out of range for "
                             f"{self.kind}")

    @property
    def label(self) -> str:
        """A short name for tables and plots."""
        return "none" if self.kind == "none" else f"{self.kind} {self.strength:g}"


class ShiftWrapper(gym.Wrapper):
    """Applies a `Shift` to CartPole-v1 or Pendulum-v1 (others raise ValueError)."""

    def __init__(self, env: gym.Env, shift: Shift) -> None:
        super().__init__(env)
        env_id = env.spec.id if env.spec else ""
        if shift.kind != "none" and env_id not in _PHYSICS:
            raise ValueError(f"shifts are defined for {', '.join(_PHYSICS)}, not {env_id!r}")
        self.shift = shift
        self._physics = _PHYSICS.get(env_id)
        self._rng = np.random.default_rng(0)

    def _observation(self) -> Any:
        inner: Any = self.env.unwrapped
        if hasattr(inner, "_get_obs"):
            return inner._get_obs()  # Pendulum: (cos, sin, velocity) from the state
        return np.asarray(inner.state, dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[Any, dict[str, Any]]:
        """Reset; with `wide_starts`, spread the start state further than the env does."""
        observation, info = self.env.reset(seed=seed, options=options)
        self._rng = np.random.default_rng(seed)
        if self.shift.kind == "wide_starts" and self._physics is not None:
            inner: Any = self.env.unwrapped
            widths = self.shift.strength * np.asarray(self._physics.start_widths)
            noise = self._rng.uniform(-widths, widths)
            inner.state = np.asarray(inner.state, dtype=np.float64) + noise
            observation = self._observation()
        return observation, info

    def _random_action(self) -> Any:
        """A uniformly random action from the episode's own generator."""
        space = self.action_space
        if isinstance(space, gym.spaces.Discrete):
            return int(space.start) + int(self._rng.integers(int(space.n)))
        assert isinstance(space, gym.spaces.Box)
        return self._rng.uniform(space.low, space.high).astype(space.dtype)

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        """Step, after a possible slip (action noise) and before a possible push."""
        slip, random_action = self._rng.random(), self._random_action()
        kick, sizes = self._rng.random(), self._rng.normal(size=4)
        if self.shift.kind == "action_noise" and slip < self.shift.strength:
            action = random_action
        observation, reward, terminated, truncated, info = self.env.step(action)
        if (self.shift.kind == "pushes" and self._physics is not None and not terminated
                and kick < self.shift.push_probability):
            inner: Any = self.env.unwrapped
            state = np.asarray(inner.state, dtype=np.float64).copy()
            dims = list(self._physics.velocity_dims)
            state[dims] += self.shift.strength * self._physics.push_size * sizes[:len(dims)]
            inner.state = state
            observation = self._observation()
        return observation, reward, terminated, truncated, info


def evaluate_under_shift(agent: Policy | ActionSource, env_id: str, shift: Shift, *,
                         episodes: int, seed: int) -> EvalResult:
    """Play `episodes` episodes in the shifted env (episode i reset with seed + i).

    `agent` is a Policy (acting deterministically) or any `ActionSource`, such as a scripted
    expert, whose score shows how hard the shift is.
    """
    from clonelab.recorder.catalog import make_env

    env = ShiftWrapper(make_env(env_id), shift)
    if isinstance(agent, Policy):
        check_fits(agent, env_id, env.observation_space, env.action_space)
        agent = PolicyAgent(agent, deterministic=True, seed=seed)
    returns, lengths = np.zeros(episodes), np.zeros(episodes, dtype=np.int64)
    try:
        for i in range(episodes):
            observation, _ = env.reset(seed=seed + i)
            agent.reset(seed=seed + i)
            while True:
                observation, reward, terminated, truncated, _ = env.step(agent.act(observation))
                returns[i] += float(reward)
                lengths[i] += 1
                if terminated or truncated:
                    break
    finally:
        env.close()
    return EvalResult(env_id=env_id, episodes=episodes, seed=seed, deterministic=True,
                      returns=tuple(float(r) for r in returns),
                      lengths=tuple(int(n) for n in lengths), return_mean=float(returns.mean()),
                      return_std=float(returns.std()), length_mean=float(lengths.mean()))
