"""Recorded and played image episodes a chunk of rows at a time, as whole ones would give.

What runs in the app right after training (Compare's comparison on a recorded demo, the
clone's OOD timeline) must never hold a whole Atari episode (5,000 raw Pong frames are 500 MB).
"""

from __future__ import annotations

from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models.agent import PolicyAgent
from clonelab.models.failures import ood as ood_module
from clonelab.models.failures.compare import READ_ROWS, compare_on_demo, compare_on_recording
from clonelab.models.failures.ood import fit_ood
from clonelab.models.failures.ood_timeline import clone_states, clone_timeline, policy_uncertainty
from clonelab.models.failures.takeover import Solo, play_episode
from clonelab.models.observations import (
    ObservationPipeline,
    episode_inputs,
    episode_inputs_in_chunks,
)
from clonelab.models.policy import Policy, PolicySpec
from clonelab.recorder import dataset_chunks
from clonelab.recorder.catalog import make_env
from clonelab.recorder.dataset import DemoDataset
from clonelab.recorder.dataset_chunks import stored_episode
from clonelab.recorder.session import PlaySession
from tests.recorder.crash_writer import DISCRETE_ACTIONS, IMAGE_SPACE, synthetic_episode
from tests.support.chunk_reads import count_row_reads

PIPELINE = ObservationPipeline(size=(12, 12), grey=True, history=4)


def _image_policy(seed: int = 0) -> Policy:
    torch.manual_seed(seed)
    return Policy(PolicySpec(env_id="Synthetic-v0", observation_space=IMAGE_SPACE,
                             action_space=DISCRETE_ACTIONS, hidden=(8,), pipeline=PIPELINE))


@pytest.fixture
def frames(tmp_path) -> DemoDataset:
    """Two episodes of 48x48 frames, 90 and 7 steps (shorter than one chunk)."""
    dataset = DemoDataset.create(tmp_path / "frames", env_id="Synthetic-v0",
                                 observation_space=IMAGE_SPACE, action_space=DISCRETE_ACTIONS)
    dataset.append(synthetic_episode(0, 90, IMAGE_SPACE))
    dataset.append(synthetic_episode(1, 7, IMAGE_SPACE))
    return dataset


@pytest.mark.parametrize("sizes", [(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), (3, 7), (10,), (2, 0, 5, 3)])
def test_inputs_in_chunks_are_the_whole_episodes_inputs(sizes) -> None:
    rng = np.random.default_rng(0)
    observations = rng.integers(0, 256, (10, 48, 48, 3), dtype=np.uint8)
    bounds = np.cumsum((0, *sizes))
    chunks = (observations[start:stop] for start, stop in zip(bounds[:-1], bounds[1:],
                                                               strict=True))
    pieces = list(episode_inputs_in_chunks(PIPELINE, chunks))
    assert [len(piece) for piece in pieces] == [size for size in sizes if size]
    torch.testing.assert_close(torch.cat(pieces), episode_inputs(PIPELINE, observations),
                               rtol=0, atol=0)


def test_a_recorded_episode_is_compared_without_reading_it_whole(frames, monkeypatch) -> None:
    policy = _image_policy()
    episode = frames.load_episode(0)
    expected = compare_on_demo(policy, episode.observations, episode.actions)
    reads = count_row_reads(monkeypatch, frames)
    for episode_id in (0, 1):
        demo = episode if episode_id == 0 else None
        result = compare_on_recording(policy, frames, episode_id)
        if demo is not None:
            np.testing.assert_array_equal(result.policy_actions, expected.policy_actions)
            np.testing.assert_array_equal(result.demo_actions, expected.demo_actions)
            assert result.first_divergence == expected.first_divergence
        assert len(result.agree) == frames.episode_info(episode_id).steps
    assert reads and max(reads) <= READ_ROWS < 90


def test_a_stored_episode_reads_its_rows_a_block_at_a_time(frames, monkeypatch) -> None:
    episode = frames.load_episode(0)
    stored = stored_episode(frames, 0)
    assert (stored.seed, stored.options, len(stored)) == (episode.seed, episode.options, 90)
    np.testing.assert_array_equal(stored.actions, episode.actions)
    reads: list[tuple[int, int]] = []
    read_rows = dataset_chunks._observations
    monkeypatch.setattr(dataset_chunks, "_observations", lambda *args: reads.append(
        args[-2:]) or read_rows(*args))
    assert len(stored.observations) == 91
    for row in (0, 1, 31, 32, 90, 5):
        np.testing.assert_array_equal(stored.observations[row], episode.observations[row])
    assert reads == [(0, 32), (32, 64), (64, 91), (0, 32)]
    with pytest.raises(IndexError):
        stored.observations[91]


def test_the_clone_is_rated_a_chunk_of_states_at_a_time_as_whole() -> None:
    env = gym.make("CartPole-v1")
    spec = PolicySpec(env_id="CartPole-v1", observation_space=env.observation_space,
                      action_space=env.action_space, hidden=(8,),
                      pipeline=ObservationPipeline(history=3))
    env.close()
    torch.manual_seed(0)
    policy = Policy(spec)
    demo = SimpleNamespace(seed=5, options=None, actions=np.zeros(70, np.int64))
    session = PlaySession(make_env("CartPole-v1"), env_id="CartPole-v1")
    agent = PolicyAgent(policy, deterministic=True, seed=5)
    played = play_episode(session, Solo(agent), seed=5, max_steps=70).episode
    session.env.close()
    chunks = list(clone_states(policy, "CartPole-v1", demo, rows=4))
    assert max(len(chunk) for chunk in chunks) == 4 and len(chunks) >= 3
    np.testing.assert_array_equal(np.concatenate(chunks), played.observations)

    rng = np.random.default_rng(0)
    fitted = fit_ood(SimpleNamespace(observations=rng.normal(size=(400, 4)).astype(np.float32),
                                     episode_ids=np.arange(400) % 4))
    dataset = SimpleNamespace(env_id="CartPole-v1")
    timeline = clone_timeline(policy, dataset, demo, ood=fitted)  # type: ignore[arg-type]
    np.testing.assert_array_equal(timeline.ood, fitted(played.observations))
    uncertainty, name = policy_uncertainty(policy, played.observations)
    np.testing.assert_allclose(timeline.uncertainty, uncertainty, rtol=1e-6)
    assert timeline.uncertainty_name == name


def test_large_states_are_normalised_a_few_rows_at_a_time(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    demos = SimpleNamespace(observations=rng.integers(0, 256, (40, 48, 48, 3), dtype=np.uint8),
                            episode_ids=np.arange(40) // 10)
    states = rng.integers(0, 256, (25, 48, 48, 3), dtype=np.uint8)
    whole = fit_ood(demos)(states)
    monkeypatch.setattr(ood_module, "NORMALIZE_VALUES", 3 * 48 * 48 * 3)  # three rows a time
    fitted = fit_ood(demos)  # its reference states normalised three rows at a time
    sizes: list[int] = []
    normalize = ood_module.StateScale.normalize
    monkeypatch.setattr(ood_module.StateScale, "normalize",
                        lambda self, rows: sizes.append(len(rows)) or normalize(self, rows))
    assert np.array_equal(fitted(states), whole)
    assert max(sizes) == 3  # the queries too
