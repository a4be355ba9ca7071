"""Everything that reads a Box policy's actions or distribution works with every head:
evaluation, the agent Watch and Compare drive, the uncertainty timelines, ensembles and
ask-for-help (Takeover), and DAgger."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from clonelab.models.action_density import BinDensity, MixtureDensity
from clonelab.models.agent import PolicyAgent
from clonelab.models.evaluation import evaluate
from clonelab.models.failures.compare import compare_on_demo
from clonelab.models.failures.dagger import DaggerConfig, run_dagger
from clonelab.models.failures.ensemble import Ensemble
from clonelab.models.failures.ood_timeline import policy_uncertainty
from clonelab.models.failures.takeover import AskForHelp, ScriptedHuman, Solo, play_episode
from clonelab.models.heads import HeadSpec
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig
from clonelab.recorder.catalog import make_env
from clonelab.recorder.experts import make_expert
from clonelab.recorder.jobs import drain
from clonelab.recorder.session import PlaySession

ENV_ID = "Pendulum-v1"
HEADS = ["gaussian", "mixture", "discretised"]


def clone(kind: str, seed: int = 0) -> Policy:
    env = make_env(ENV_ID)
    torch.manual_seed(seed)
    policy = Policy(PolicySpec(env_id=ENV_ID, observation_space=env.observation_space,
                               action_space=env.action_space, hidden=(16,),
                               head=HeadSpec(kind=kind)))  # type: ignore[arg-type]
    env.close()
    return policy.eval()


def expert_episode(steps: int = 12) -> tuple[np.ndarray, np.ndarray]:
    env = make_env(ENV_ID)
    session = PlaySession(env, env_id=ENV_ID)
    played = play_episode(session, Solo(make_expert(env), actor="expert", device="script"),
                          seed=0, max_steps=steps).episode
    env.close()
    return np.asarray(played.observations), np.asarray(played.actions)


@pytest.mark.parametrize("kind", HEADS)
@pytest.mark.parametrize("deterministic", [True, False])
def test_evaluation_plays_every_head(kind: str, deterministic: bool) -> None:
    result = evaluate(clone(kind), ENV_ID, episodes=2, seed=0, deterministic=deterministic,
                      max_steps=5)
    assert result.lengths == (5, 5) and np.isfinite(result.returns).all()


@pytest.mark.parametrize("kind", HEADS)
def test_the_agent_reports_the_distribution_of_the_state_it_acts_in(kind: str) -> None:
    agent = PolicyAgent(clone(kind), seed=0)
    observation = make_env(ENV_ID).reset(seed=0)[0]
    distribution = agent.action_distribution(observation)
    expected = BinDensity if kind == "discretised" else MixtureDensity
    assert isinstance(distribution.density, expected)
    assert distribution.probabilities is None
    assert distribution.mean is not None and distribution.mean.shape == (1,)
    assert distribution.std is not None and distribution.std[0] > 0
    np.testing.assert_allclose(distribution.action, agent.act(observation))
    assert -2.0 <= float(distribution.action[0]) <= 2.0


@pytest.mark.parametrize("kind", HEADS)
def test_each_head_has_an_uncertainty_timeline(kind: str) -> None:
    policy = clone(kind)
    observations, _actions = expert_episode()
    values, name = policy_uncertainty(policy, observations)
    assert values.shape == (len(observations),) and np.isfinite(values).all()
    if kind == "gaussian":
        assert name == "sigma"
        sigma = policy.action_gaussian(policy.as_tensor(observations))[1]
        np.testing.assert_allclose(values, sigma.reshape(-1).detach().numpy(), rtol=1e-6)
    else:
        assert name == "entropy"
        entropy = policy.action_density(policy.as_tensor(observations)).entropy()
        np.testing.assert_allclose(values, entropy.detach().numpy(), rtol=1e-5)
        assert values.std() > 0  # it moves with the state (the Gaussian's sigma does not)


@pytest.mark.parametrize("kind", HEADS)
def test_compare_and_ask_for_help_act_with_every_head(kind: str) -> None:
    observations, actions = expert_episode()
    comparison = compare_on_demo(clone(kind), observations, actions)
    assert dataclasses.asdict(comparison)  # a full comparison, no error
    members = [clone(kind, seed) for seed in range(3)]
    ensemble = Ensemble(members)
    assert ensemble.actions(observations).shape == (len(observations), 1)
    disagreement = ensemble.disagreement(observations)
    assert np.isfinite(disagreement).all() and disagreement.max() > 0
    env = make_env(ENV_ID)
    gate = AskForHelp(PolicyAgent(members[0], deterministic=False),
                      ScriptedHuman(make_expert(env)), [ensemble.disagreement],
                      action_space=env.action_space, threshold=float(np.median(disagreement)))
    played = play_episode(PlaySession(env, env_id=ENV_ID), gate, seed=0, max_steps=12)
    env.close()
    assert len(played.episode.actions) == 12


@pytest.mark.parametrize("kind", ["mixture", "discretised"])
def test_dagger_trains_every_head(kind: str) -> None:
    train = TrainConfig(steps=20, hidden=(16,), log_every=10, device="cpu", head=kind)
    config = DaggerConfig(env_id=ENV_ID, iterations=2, episodes_per_iter=1, eval_episodes=1,
                          max_episode_steps=15, train=train, curve=False)
    result = drain(run_dagger(config))
    assert result.policy is not None and result.policy.spec.head.kind == kind
    assert result.bc_policy is not None and result.bc_policy.spec.head.kind == kind
    assert np.isfinite(result.iteration_returns[-1])
