"""AIRL and GAIL from a CloneLab dataset: learning on CartPole, records, cancel, checkpoints.

CartPole's true reward is +1 on every step, so the learned reward is correlated with the true
discounted return-to-go on held-out states instead (models.irl.heldout explains why).
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from pathlib import Path

import numpy as np
import pytest
import torch

from clonelab.models.checkpoint import CheckpointError, load_policy
from clonelab.models.evaluation import evaluate
from clonelab.models.irl import IRLError
from clonelab.models.irl.adversarial import (
    POLICY_FILE,
    REWARD_FILE,
    AdversarialConfig,
    IRLProgress,
    IRLResult,
    expert_transitions,
    train_adversarial,
)
from clonelab.models.irl.heldout import collect_held_out, reward_correlation
from clonelab.models.irl.reward import load_reward, reward_along_episode
from clonelab.models.irl.rl import PPOConfig, PPOLearner
from clonelab.recorder.dataset import DemoDataset
from tests.models.demos import record_expert_dataset

EVAL_SEED = 10_000
RANDOM_CARTPOLE_RETURN = 22.0  # uniformly random actions, measured over many episodes


@pytest.fixture(scope="module")
def cartpole_dataset(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """Five 500-step episodes of the scripted CartPole expert."""
    return record_expert_dataset(tmp_path_factory.mktemp("irl") / "cartpole", "CartPole-v1",
                                 episodes=5, seed=100)


def collect(generator: Generator[IRLProgress, None, IRLResult]
            ) -> tuple[list[IRLProgress], IRLResult]:
    records = []
    while True:
        try:
            records.append(next(generator))
        except StopIteration as stop:
            return records, stop.value


@pytest.mark.slow
@pytest.mark.parametrize("method", ["airl", "gail"])
def test_cartpole_reward_tracks_survival_and_policy_balances(
    method: str, cartpole_dataset: DemoDataset
) -> None:
    config = AdversarialConfig(method=method, steps=40_000, seed=0, log_every=8192)
    records, result = collect(train_adversarial(config, cartpole_dataset))

    assert [r.env_steps for r in records][:2] == [8192, 16384]
    assert records[-1].env_steps == result.env_steps >= 40_000 and not result.cancelled
    assert all(0.0 <= r.disc_accuracy <= 1.0 and np.isfinite(r.disc_loss) for r in records)
    assert records[-1].true_return > 2 * records[0].true_return
    evaluation = evaluate(result.policy, "CartPole-v1", episodes=20, seed=EVAL_SEED)
    assert evaluation.return_mean > 5 * RANDOM_CARTPOLE_RETURN, evaluation.returns

    held_out = collect_held_out("CartPole-v1", episodes=8)
    assert {"expert", "noisy expert", "random"} == set(held_out.source.tolist())
    correlation = reward_correlation(result.reward, held_out)
    assert correlation.reward is None  # +1 at every step: nothing to correlate with
    assert correlation.return_to_go > 0.4, correlation


def test_saved_policy_acts_like_ppo_and_files_round_trip(
    cartpole_dataset: DemoDataset, tmp_path: Path
) -> None:
    config = AdversarialConfig(steps=2048, log_every=1024, checkpoint_every=1024,
                               ppo=PPOConfig(n_envs=4, n_steps=64, batch_size=128, n_epochs=2))
    stop = threading.Event()
    generator = train_adversarial(config, cartpole_dataset, cancel=stop, checkpoint_dir=tmp_path)
    first = next(generator)
    assert first.env_steps == 1024 and first.total_steps == 2048
    assert (tmp_path / POLICY_FILE).is_file() and (tmp_path / REWARD_FILE).is_file()
    stop.set()
    records, result = collect(generator)
    assert records == [] and result.cancelled and result.env_steps == 1024

    # The checkpoint at the end holds the returned policy and reward.
    policy = load_policy(tmp_path / POLICY_FILE, env_id="CartPole-v1")
    reward = load_reward(tmp_path / REWARD_FILE)
    states = np.random.default_rng(0).normal(0, 0.5, (256, 4)).astype(np.float32)
    with torch.no_grad():
        ours = policy.act(torch.as_tensor(states)).numpy()
        theirs = result.policy.act(torch.as_tensor(states)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(reward.score(states, ours), result.reward.score(states, ours))

    episode = cartpole_dataset.load_episode(cartpole_dataset.episode_ids[0])
    trace = reward_along_episode(reward, episode)
    assert trace.learned.shape == trace.true.shape == (len(episode.actions),)
    np.testing.assert_array_equal(trace.true, episode.rewards)


def test_the_last_record_comes_with_its_checkpoint(cartpole_dataset: DemoDataset,
                                                   tmp_path: Path) -> None:
    config = AdversarialConfig(steps=1536, log_every=1024, checkpoint_every=1024,
                               ppo=PPOConfig(n_envs=2, n_steps=256, batch_size=128, n_epochs=1))
    generator = train_adversarial(config, cartpole_dataset, checkpoint_dir=tmp_path)
    assert [next(generator).env_steps, next(generator).env_steps] == [1024, 1536]
    saved = load_policy(tmp_path / POLICY_FILE)  # read while the caller holds the last record
    _, result = collect(generator)
    states = torch.as_tensor(np.random.default_rng(2).normal(0, 1, (256, 4)), dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_allclose(saved.action_probabilities(states),
                                   result.policy.action_probabilities(states))


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_policy_copy_acts_like_ppo(env_id: str) -> None:
    def zero_reward(obs: np.ndarray, *_: np.ndarray) -> np.ndarray:
        return np.zeros(len(obs))

    size = 4 if env_id == "CartPole-v1" else 3
    learner = PPOLearner(env_id, PPOConfig(n_envs=2, n_steps=64, batch_size=64, n_epochs=2),
                         reward_fn=zero_reward, obs_mean=np.full(size, 0.1),
                         obs_std=np.full(size, 2.0), seed=0)
    try:
        learner.run_round()  # one update, so the weights are not just the initial ones
        policy = learner.policy()
        states = np.random.default_rng(1).uniform(-1, 1, (128, size)).astype(np.float32)
        sb3_actions, _ = learner.ppo.predict(states, deterministic=True)
        with torch.no_grad():
            ours = policy.act(torch.as_tensor(states)).numpy()
        if env_id == "CartPole-v1":
            np.testing.assert_array_equal(ours, sb3_actions)
            with torch.no_grad():
                probabilities = policy.action_probabilities(torch.as_tensor(states))
                sb3 = learner.ppo.policy.get_distribution(torch.as_tensor(states))
            np.testing.assert_allclose(probabilities, sb3.distribution.probs, atol=1e-6)
        else:
            np.testing.assert_allclose(ours, sb3_actions, atol=1e-5)
            with torch.no_grad():
                _, sigma = policy.action_gaussian(torch.as_tensor(states))
            np.testing.assert_allclose(sigma[0].numpy(),
                                       learner.ppo.policy.log_std.exp().detach(), rtol=1e-5)
    finally:
        learner.close()


def test_image_datasets_are_refused(tmp_path: Path) -> None:
    dataset = record_expert_dataset(tmp_path / "grid", "MiniGrid-Empty-5x5-v0", episodes=1)
    with pytest.raises(IRLError, match="vector observations; use --method maxent"):
        expert_transitions(dataset)


def test_damaged_reward_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "reward.pt"
    path.write_bytes(b"not a reward at all")
    with pytest.raises(CheckpointError, match="reward.pt: not a readable CloneLab reward"):
        load_reward(path)
    with pytest.raises(CheckpointError, match="no such reward file"):
        load_reward(tmp_path / "missing.pt")


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="method must be 'airl' or 'gail'"):
        AdversarialConfig(method="bc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps must be a positive whole number"):
        AdversarialConfig(steps=0)
