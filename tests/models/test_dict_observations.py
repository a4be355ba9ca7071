"""A policy over Dict observations: trained on the flat rows, acting on the env's dicts."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from clonelab.models.agent import PolicyAgent
from clonelab.models.checkpoint import load_policy, save_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.policy import Policy, PolicySpec, UnsupportedSpaceError
from clonelab.models.training import TrainConfig, train_bc
from clonelab.models.twin_run import close_run, demo_and_clone
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.jobs import drain
from clonelab.recorder.replay import check_episode
from tests.recorder.crash_writer import BOX_ACTIONS
from tests.recorder.test_dict_observations import GOAL_SPACE, GoalEnv, goal_episode

ENV_ID = "CloneLabTest/GoalEnv-v0"
CONFIG = TrainConfig(steps=30, log_every=30, hidden=(16,), batch_size=16, device="cpu",
                     history=2)


@pytest.fixture(scope="module")
def goal_env_id():
    if ENV_ID not in gym.envs.registry:
        gym.register(ENV_ID, entry_point=GoalEnv)
    return ENV_ID


def test_a_clone_of_dict_demos_reads_them_flat_with_a_history_and_acts_on_dicts(
        tmp_path, goal_env_id):
    dataset = DemoDataset.create(tmp_path / "goals", env_id=goal_env_id,
                                 observation_space=GOAL_SPACE, action_space=BOX_ACTIONS)
    for seed in range(4):
        dataset.append(goal_episode(seed))

    policy = drain(train_bc(CONFIG, dataset)).policy
    path = save_policy(tmp_path / "goals.pt", policy, CONFIG, dataset_fingerprint="f")
    loaded = load_policy(path, env_id=goal_env_id)

    assert loaded.spec.observation_space == GOAL_SPACE
    assert loaded.spec.input_shape == (2 * 11,)  # two steps of 11 flat features
    observation, _ = GoalEnv().reset(seed=9)
    first = PolicyAgent(policy).act(observation)
    assert first.shape == (2,)
    np.testing.assert_allclose(PolicyAgent(loaded).act(observation), first, atol=1e-6)
    result = evaluate(loaded, goal_env_id, episodes=2, seed=0)
    assert result.lengths == (5, 5)


def test_a_policy_refuses_an_unflattenable_key_in_one_line():
    space = gym.spaces.Dict({"position": gym.spaces.Box(-1, 1, (2,)),
                             "mission": gym.spaces.Text(12)})
    with pytest.raises(UnsupportedSpaceError) as refused:
        PolicySpec(env_id=ENV_ID, observation_space=space, action_space=BOX_ACTIONS)
    assert "'mission'" in str(refused.value) and "\n" not in str(refused.value)


def test_a_dict_recording_replays_and_compares_without_a_mismatch(goal_env_id):
    episode = goal_episode(5)
    assert check_episode(GoalEnv(), episode).first_mismatch is None
    policy = Policy(PolicySpec(env_id=goal_env_id, observation_space=GOAL_SPACE,
                               action_space=BOX_ACTIONS, hidden=(8,)))
    run = demo_and_clone(goal_env_id, episode, policy)
    try:
        while not run.over:
            run.step()
        assert run.left.first_mismatch is None
    finally:
        close_run(run)
