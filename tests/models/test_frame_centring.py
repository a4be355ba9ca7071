"""Image policies take the training frames' mean off every input frame, and keep it in their
checkpoint: a still background reads as 0, so what moves (a ball of one pixel) stands out."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from clonelab.models.checkpoint import load_policy, save_policy
from clonelab.models.observations import ObservationPipeline, preprocess_frames
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode

FRAMES = gym.spaces.Box(0, 255, (8, 6, 3), np.uint8)


def _policy(history: int) -> Policy:
    torch.manual_seed(0)
    pipeline = ObservationPipeline(size=(4, 4), grey=True, history=history)
    return Policy(PolicySpec(env_id="Fake-v0", observation_space=FRAMES,
                             action_space=gym.spaces.Discrete(2), hidden=(8,),
                             pipeline=pipeline))


def test_the_convolutions_read_each_frame_less_the_mean_frame() -> None:
    policy = _policy(history=2)
    mean = np.arange(16, dtype=np.float32).reshape(4, 4, 1) * 10  # one grey frame, 0-255
    policy.set_frame_mean(mean)
    seen: list[torch.Tensor] = []
    policy.torso.convs[0].register_forward_hook(lambda _m, inputs, _o: seen.append(inputs[0]))
    policy.features(torch.full((1, 4, 4, 2), 255, dtype=torch.uint8))  # 2 white frames stacked
    expected = 1.0 - torch.as_tensor(mean[:, :, 0]) / 255.0
    assert seen[0].shape == (1, 2, 4, 4)
    for frame in range(2):  # the mean is each frame's, repeated along the history
        assert torch.allclose(seen[0][0, frame], expected)


def test_training_sets_the_mean_of_its_frames_and_a_checkpoint_keeps_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    episodes = [FakeEpisode(rng.integers(0, 255, (n + 1, 8, 6, 3), dtype=np.uint8),
                            rng.integers(0, 2, n), np.zeros(n)) for n in (30, 40)]
    demos = FakeDataset("Fake-v0", FRAMES, gym.spaces.Discrete(2), episodes)
    config = TrainConfig(steps=3, hidden=(8,), device="cpu", history=2, frame_size=(4, 4),
                         colour="grey", val_fraction=0.0)
    policy = drain(train_bc(config, demos)).policy
    pipeline = policy.spec.pipeline
    trained_on = np.concatenate([preprocess_frames(pipeline, e.observations[:-1])
                                 for e in episodes])
    step_mean = torch.as_tensor(trained_on.mean(axis=0), dtype=torch.float32) / 255.0
    assert torch.allclose(policy.torso.frame_mean, step_mean.repeat(1, 1, 2), atol=1e-6)
    assert policy.torso.frame_mean.abs().sum() > 0

    loaded = load_policy(save_policy(tmp_path / "p.pt", policy, config))
    assert torch.equal(loaded.torso.frame_mean, policy.torso.frame_mean)
    frames = torch.as_tensor(rng.integers(0, 255, (5, 8, 6, 3), dtype=np.uint8))
    inputs = torch.cat([pipeline.preprocess(frames)] * 2, dim=-1)
    assert torch.equal(loaded.action_probabilities(inputs), policy.action_probabilities(inputs))


def test_a_checkpoint_written_before_centring_loads_without_a_mean(tmp_path: Path) -> None:
    policy = _policy(history=1)
    path = save_policy(tmp_path / "old.pt", policy, TrainConfig())
    payload = torch.load(path, weights_only=True)
    del payload["state_dict"]["torso.frame_mean"]  # what files of older versions lack
    torch.save(payload, path)
    loaded = load_policy(path)
    assert torch.equal(loaded.torso.frame_mean, torch.zeros(4, 4, 1))
    frames = torch.as_tensor(np.random.default_rng(1).integers(0, 255, (3, 4, 4, 1),
                                                               dtype=np.uint8))
    assert torch.equal(loaded.action_probabilities(frames), policy.action_probabilities(frames))


def test_frames_handed_over_as_floats_are_left_as_they_were() -> None:
    policy = _policy(history=1)
    policy.set_frame_mean(np.full((4, 4, 1), 100, dtype=np.float32))
    frames = torch.full((2, 4, 4, 1), 255.0)
    policy.features(frames)
    assert torch.equal(frames, torch.full((2, 4, 4, 1), 255.0))
