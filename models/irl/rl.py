"""The RL step of inverse RL: stable-baselines3's PPO on a learned reward.

PPO runs on vectorised copies of the env behind `LearnedRewardVecEnv`, which swaps the env's
reward for the learned one (batched over the envs, one forward pass per step) and keeps the
transitions for the discriminator. The true reward is still counted by SB3's `Monitor` under
the wrapper, so the episode returns PPO logs are true returns.

The PPO actor is built to be a CloneLab `Policy` in disguise: the same MLP sizes with
leaky_relu, and observation normalisation inside the network (`NormalizedObservations`, with
the demos' statistics). `policy_from_ppo` then copies the weights over exactly, so the saved
policy acts like PPO's deterministic actor (argmax / clipped mean) with no distillation error
and no extra training.
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecNormalize
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn
from torch import nn

from clonelab.models.heads import CategoricalHead, GaussianHead
from clonelab.models.irl.reward import RewardModel, Transitions
from clonelab.models.policy import Policy, PolicySpec, UnsupportedSpaceError
from clonelab.recorder.configs import check_counts

log = logging.getLogger(__name__)

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(observations, actions, next_observations, terminated) -> one reward per row."""


@dataclass(frozen=True, kw_only=True)
class PPOConfig:
    """PPO's settings (stable-baselines3 names); `ppo_preset` gives tuned ones per env."""

    n_envs: int = 8
    """Envs stepped side by side; one round collects n_envs * n_steps transitions."""
    n_steps: int = 256
    """Steps per env per rollout."""
    batch_size: int = 256
    """Minibatch size of the PPO update."""
    n_epochs: int = 10
    """Passes over each rollout."""
    lr: float = 3e-4
    """Adam learning rate (constant)."""
    gamma: float = 0.99
    """Discount factor (also AIRL's shaping discount)."""
    gae_lambda: float = 0.95
    """GAE's lambda."""
    clip_range: float = 0.2
    """PPO's ratio clip."""
    ent_coef: float = 0.0
    """Entropy bonus."""
    hidden: tuple[int, ...] = (64, 64)
    """Actor (and critic) layer sizes; the saved Policy has the same."""
    normalize_reward: bool = True
    """Scale the learned reward by a running std of the returns (SB3's VecNormalize)."""
    anneal: bool = True
    """Decay the learning rate and the clip range linearly to 0 over the run (rl-zoo's
    CartPole setting): the last policy is then a settled one, not a mid-update one."""

    def __post_init__(self) -> None:
        check_counts(self, "n_envs", "n_steps", "batch_size", "n_epochs")
        if not (0.0 < self.gamma <= 1.0 and 0.0 <= self.gae_lambda <= 1.0):
            raise ValueError(f"PPOConfig: gamma must lie in (0, 1] and gae_lambda in [0, 1], "
                             f"got {self.gamma!r} and {self.gae_lambda!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"PPOConfig: lr must be a positive number, got {self.lr!r}")
        if not self.hidden or min(self.hidden) <= 0:
            raise ValueError(f"PPOConfig: hidden must be positive layer sizes, got {self.hidden}")

    @property
    def steps_per_round(self) -> int:
        """Env steps in one rollout (all envs together)."""
        return self.n_envs * self.n_steps


# Starting points from rl-baselines3-zoo's tuned PPO settings, with constant learning rates.
_PRESETS = {
    "CartPole-v1": PPOConfig(n_envs=8, n_steps=32, batch_size=256, n_epochs=20, lr=1e-3,
                             gamma=0.98, gae_lambda=0.8),
    "Pendulum-v1": PPOConfig(n_envs=4, n_steps=1024, batch_size=256, n_epochs=10, lr=1e-3,
                             gamma=0.9, gae_lambda=0.95),
    "LunarLander-v3": PPOConfig(n_envs=16, n_steps=1024, batch_size=64, n_epochs=4, lr=3e-4,
                                gamma=0.999, gae_lambda=0.98, ent_coef=0.01),
}


def ppo_preset(env_id: str) -> PPOConfig:
    """Tuned PPO settings for `env_id` (SB3's defaults with 64x64 layers for other envs)."""
    preset = _PRESETS.get(env_id)
    if preset is None and env_id.startswith("LunarLanderContinuous"):
        preset = replace(_PRESETS["LunarLander-v3"], ent_coef=0.0)
    return preset or PPOConfig()


class NormalizedObservations(BaseFeaturesExtractor):
    """(obs - mean) / std with fixed statistics: the same step a CloneLab Policy starts with."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, observation_space: gym.spaces.Box, mean: list[float],
                 std: list[float]) -> None:
        super().__init__(observation_space, features_dim=len(mean))
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Flatten and normalise a batch of observations."""
        return (observations.flatten(1).float() - self.mean) / self.std


class TransitionLog:
    """The generator's transitions of the last `rounds` rollouts (a sliding replay)."""

    def __init__(self, rounds: int) -> None:
        self._rounds: collections.deque[Transitions] = collections.deque(maxlen=max(1, rounds))
        self._current: list[tuple[np.ndarray, ...]] = []

    def add(self, *columns: np.ndarray) -> None:
        """Keep one vectorised step (obs, actions, next_obs, terminated)."""
        self._current.append(tuple(np.array(column) for column in columns))

    def end_round(self) -> Transitions:
        """Close the running rollout; returns its transitions."""
        obs, actions, next_obs, terminated = (np.concatenate(c) for c in zip(*self._current,
                                                                          strict=True))
        self._current = []
        rollout = Transitions(obs, actions, next_obs, terminated)
        self._rounds.append(rollout)
        return rollout

    def replay(self) -> Transitions:
        """All kept rollouts together."""
        return Transitions.concat(list(self._rounds))


class LearnedRewardVecEnv(VecEnvWrapper):
    """Gives PPO `reward_fn`'s reward instead of the env's; logs the transitions.

    The env's own reward stays in each step's info as ``"true_reward"``. A finished episode's
    last observation is taken from SB3's ``"terminal_observation"``; time-limit cuts are not
    terminations (AIRL's shaping term bootstraps through them).
    """

    def __init__(self, venv: VecEnv, reward_fn: RewardFn, transitions: TransitionLog) -> None:
        super().__init__(venv)
        self.reward_fn = reward_fn
        self.transitions = transitions
        self._obs: np.ndarray | None = None
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        """Reset every env."""
        self._obs = np.asarray(self.venv.reset())
        return self._obs

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions (already clipped to the bounds by SB3) and step."""
        self._actions = np.array(actions)
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Step, then replace the rewards by the learned ones in one batched call."""
        obs, true_rewards, dones, infos = self.venv.step_wait()
        assert self._obs is not None and self._actions is not None, "step before reset"
        next_obs = np.array(obs)
        terminated = np.zeros(len(dones), dtype=bool)
        for i, info in enumerate(infos):
            info["true_reward"] = float(true_rewards[i])
            if dones[i]:
                next_obs[i] = info["terminal_observation"]
                terminated[i] = not info.get("TimeLimit.truncated", False)
        rewards = self.reward_fn(self._obs, self._actions, next_obs, terminated)
        self.transitions.add(self._obs, self._actions, next_obs, terminated)
        self._obs = np.asarray(obs)
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos


class PPOLearner:
    """PPO on `env_id` with a learned reward, run one rollout-and-update round at a time."""

    def __init__(
        self,
        env_id: str,
        config: PPOConfig,
        *,
        reward_fn: RewardFn,
        obs_mean: np.ndarray,
        obs_std: np.ndarray,
        seed: int,
        total_steps: int | None = None,
        replay_rounds: int = 1,
    ) -> None:
        from clonelab.recorder.catalog import (
            make_env,  # registers ALE and MiniGrid ids when imported
        )

        self.env_id = env_id
        self.config = config
        self.transitions = TransitionLog(replay_rounds)
        venv = make_vec_env(lambda: make_env(env_id), n_envs=config.n_envs, seed=seed)
        self.venv: VecEnv = LearnedRewardVecEnv(venv, reward_fn, self.transitions)
        if config.normalize_reward:
            self.venv = VecNormalize(self.venv, norm_obs=False, norm_reward=True,
                                     gamma=config.gamma)
        observations, actions = venv.observation_space, venv.action_space
        if not (isinstance(observations, gym.spaces.Box)
                and isinstance(actions, gym.spaces.Discrete | gym.spaces.Box)):
            raise UnsupportedSpaceError(
                f"{env_id}: PPO here takes a Box observation space and a Discrete or Box action "
                f"space, not {observations} and {actions}")
        self.spec = PolicySpec(env_id=env_id, observation_space=observations,
                               action_space=actions, hidden=config.hidden)
        # A Policy first: it applies CloneLab's rule for near-constant features to the stats.
        self._template = Policy(self.spec)
        self._template.set_observation_stats(obs_mean, obs_std)
        policy_kwargs = {
            "net_arch": {"pi": list(config.hidden), "vf": list(config.hidden)},
            "activation_fn": nn.LeakyReLU,
            "features_extractor_class": NormalizedObservations,
            "features_extractor_kwargs": {"mean": self._template.obs_mean.tolist(),
                                          "std": self._template.obs_std.tolist()},
        }
        self.ppo = PPO(
            "MlpPolicy", self.venv, n_steps=config.n_steps, batch_size=config.batch_size,
            n_epochs=config.n_epochs, learning_rate=config.lr, gamma=config.gamma,
            gae_lambda=config.gae_lambda, clip_range=config.clip_range,
            ent_coef=config.ent_coef, policy_kwargs=policy_kwargs, seed=seed, device="cpu",
            verbose=0,
        )
        if config.anneal and total_steps:
            # SB3 measures progress per learn() call, and each round is one call: anneal
            # over the whole run instead.
            def left(_progress: float) -> float:
                return max(0.0, 1.0 - self.env_steps / total_steps)

            self.ppo.lr_schedule = lambda progress: config.lr * left(progress)
            self.ppo.clip_range = lambda progress: config.clip_range * left(progress)

    @property
    def env_steps(self) -> int:
        """Env steps taken so far (all envs together)."""
        return int(self.ppo.num_timesteps)

    def run_round(self) -> Transitions:
        """Collect one rollout with the current reward, update PPO; returns the rollout."""
        self.ppo.learn(self.config.steps_per_round, reset_num_timesteps=False)
        return self.transitions.end_round()

    def true_return(self) -> float | None:
        """Mean true return of the last (up to 100) finished training episodes."""
        episodes = self.ppo.ep_info_buffer
        return float(np.mean([info["r"] for info in episodes])) if episodes else None

    @torch.no_grad()
    def log_prob(self, observations: np.ndarray, actions: np.ndarray) -> torch.Tensor:
        """log pi(a | s) under the current stochastic policy, one value per row."""
        obs = torch.as_tensor(observations, dtype=torch.float32)
        act = torch.as_tensor(actions)
        _, log_prob, _ = self.ppo.policy.evaluate_actions(obs, act)
        return log_prob.reshape(-1)

    def policy(self) -> Policy:
        """The current deterministic actor as a CloneLab Policy (a copy)."""
        return policy_from_ppo(self.ppo, self.spec, self._template)

    def close(self) -> None:
        """Close the envs."""
        self.venv.close()


@torch.no_grad()
def policy_from_ppo(ppo: PPO, spec: PolicySpec, template: Policy) -> Policy:
    """Copy PPO's actor into a new Policy with `template`'s normalisation (same layer sizes).

    SB3's Gaussian mean and log std are in env units; the Policy's head works in actions
    scaled to [-1, 1], so the last layer is rescaled: mu' = (W x + b - centre) / half_range.
    """
    with torch.random.fork_rng(devices=[]):  # building it must not move PPO's random stream
        policy = Policy(spec)
    policy.load_state_dict(template.state_dict())
    sb3 = ppo.policy
    actor, action_net = sb3.mlp_extractor.policy_net, sb3.action_net
    # SB3 sets these as plain module attributes, which torch's types read as Tensor | Module.
    assert isinstance(actor, nn.Module) and isinstance(action_net, nn.Linear)
    ours = [m for m in policy.torso.modules() if isinstance(m, nn.Linear)]
    theirs = [m for m in actor.modules() if isinstance(m, nn.Linear)]
    for target, source in zip(ours, theirs, strict=True):
        target.weight.copy_(source.weight)
        target.bias.copy_(source.bias)
    if isinstance(policy.head, CategoricalHead):
        policy.head.logits.weight.copy_(action_net.weight)
        policy.head.logits.bias.copy_(action_net.bias)
    else:
        assert isinstance(policy.head, GaussianHead)  # the spec above names the default head
        half, centre = policy.action_half_range, policy.action_center
        policy.head.mu.weight.copy_(action_net.weight / half[:, None])
        policy.head.mu.bias.copy_((action_net.bias - centre) / half)
        policy.head.log_sigma.copy_(sb3.log_std - torch.log(half))
    return policy.eval()


@dataclass(frozen=True, kw_only=True)
class RetrainResult:
    """A policy trained from scratch on a frozen learned reward."""

    policy: Policy
    env_steps: int
    train_return: float | None
    """Mean true return of its last finished training episodes."""


def train_on_reward(reward: RewardModel, *, steps: int, seed: int = 0,
                    ppo: PPOConfig | None = None) -> RetrainResult:
    """Train a fresh PPO policy on `reward`'s learned reward (AIRL's g(s), GAIL's logit).

    The test of a learned reward: does it teach a new learner the task, with no discriminator
    adapting to that learner any more?
    """
    def reward_fn(obs: np.ndarray, actions: np.ndarray, next_obs: np.ndarray,
                  terminated: np.ndarray) -> np.ndarray:
        return reward.score(obs, actions)

    env_id = reward.spec.env_id
    learner = PPOLearner(env_id, ppo or ppo_preset(env_id), reward_fn=reward_fn,
                         obs_mean=reward.obs_mean.numpy(), obs_std=reward.obs_std.numpy(),
                         seed=seed, total_steps=steps)
    try:
        while learner.env_steps < steps:
            learner.run_round()
        return RetrainResult(policy=learner.policy(), env_steps=learner.env_steps,
                             train_return=learner.true_return())
    finally:
        learner.close()
