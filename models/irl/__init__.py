"""Inverse RL: learn the reward a demonstrator was maximising, and train a policy on it.

- `models.irl.tabular`: small discrete worlds (FrozenLake, MiniGrid rooms) as tabular MDPs.
- `models.irl.maxent`: maximum-causal-entropy IRL on a tabular MDP; the reward as a grid.
- `models.irl.adversarial`: AIRL and GAIL from a CloneLab dataset, as a progress generator.
- `models.irl.reward`: reward networks, their files, and the reward along an episode.
- `models.irl.rl`: stable-baselines3 PPO on a learned reward, copied into a CloneLab `Policy`.
- `models.irl.shift`: perturbed envs (wider starts, pushes, action noise) for BC-vs-IRL.

docs/irl.md describes the API and the measured results.
"""

from __future__ import annotations

IRL_METHODS = ("airl", "gail", "maxent")
"""The inverse-RL methods: AIRL and GAIL (`models.irl.adversarial`, vector envs) and MaxEnt
(`models.irl.maxent`, grid worlds). The CLI's --method and the Inverse RL tab list these."""


class IRLError(RuntimeError):
    """Inverse RL cannot run on this input (wrong kind of env or dataset); one clear line."""
