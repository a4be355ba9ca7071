"""The scripted-expert base: a scripted policy plus seeded, on-purpose random mistakes."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces


class ScriptedExpert(ABC):
    """An `ActionSource` that follows `policy`, or with probability `noise` takes a uniformly
    random action from the action space (a seeded RNG, so an imperfect expert is repeatable)."""

    reads_observation: ClassVar[bool] = True
    """Whether `policy` decides from the observation alone (False: it reads the env's own
    state, so a `LaggedExpert` cannot delay what it sees)."""

    def __init__(self, env: gymnasium.Env, *, noise: float = 0.0, seed: int | None = None) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must be in [0, 1], got {noise!r}")
        self.env = env
        self.noise = noise
        # A private copy, so that seeding it does not touch the env's own action space.
        self._space = copy.deepcopy(env.action_space)
        self._rng = np.random.default_rng(seed)
        self._space.seed(int(self._rng.integers(2**31)))
        self.choice: Any = None
        """The scripted policy's action at the last `act`, even where noise played another."""

    def reset(self, seed: int | None = None) -> None:
        """Start an episode; a `seed` restarts the noise RNG, so episodes replay exactly."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self._space.seed(int(self._rng.integers(2**31)))

    def act(self, observation: Any) -> Any:
        """The scripted action, or a random one with probability `noise`; either way the
        scripted one is kept as `choice` (the label of DART-style demos)."""
        self.choice = self.policy(observation)
        if self.noise > 0.0 and self._rng.random() < self.noise:
            action = self._space.sample()
            return int(action) if isinstance(self._space, spaces.Discrete) else action
        return self.choice

    @abstractmethod
    def policy(self, observation: Any) -> Any:
        """The expert's own action for `observation` (an element of the action space)."""
