"""The device side of training: host-held rows, mixed precision, torch.compile and its fallback.

The CUDA branches run for real only where torch sees a GPU (they skip elsewhere); on the CPU
the same code paths are forced (host-held rows, bfloat16 autocast) or their choices checked.
"""

from __future__ import annotations

import copy
import logging

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models import train_device
from clonelab.models.data import TrainingError
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.train_device import DeviceRows, StepLoss, StepPrecision, resolve_precision
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.fakes import FakeDataset, FakeEpisode

FRAME = gym.spaces.Box(0, 255, (40, 40, 2), np.uint8)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


def bright_side_demos(episodes: int = 4, steps: int = 64) -> FakeDataset:
    """Frames with one bright square; the expert's action is the side it is on (0 or 1)."""
    rng = np.random.default_rng(0)
    made = []
    for _ in range(episodes):
        frames = rng.integers(0, 60, (steps + 1, 40, 40, 2), dtype=np.uint8)
        sides = rng.integers(0, 2, steps + 1)
        for frame, side in zip(frames, sides, strict=True):
            frame[10:22, 4 + 24 * side : 16 + 24 * side] = 255
        made.append(FakeEpisode(frames, sides[:-1].astype(np.int64), np.zeros(steps)))
    return FakeDataset("Custom-v0", FRAME, gym.spaces.Discrete(2), made)


def image_policy() -> Policy:
    torch.manual_seed(0)
    return Policy(PolicySpec(env_id="Custom-v0", observation_space=FRAME,
                             action_space=gym.spaces.Discrete(2), hidden=(16,)))


def test_host_held_rows_gather_the_same_batches() -> None:
    frames = np.random.default_rng(1).integers(0, 256, (50, 40, 40, 2), dtype=np.uint8)
    held = DeviceRows(frames, torch.device("cpu"), device_budget=0)
    whole = DeviceRows(frames, torch.device("cpu"))
    assert not held.on_device and whole.on_device
    for rows in (torch.tensor([3, 1, 4, 1, 5]), torch.tensor([9, 2]), torch.arange(50)):
        batch = held.gather(rows)
        assert batch.dtype == torch.uint8  # scaled in the torso, on the device
        assert torch.equal(batch, whole.gather(rows))
        assert torch.equal(batch, torch.as_tensor(frames[rows.numpy()]))


def test_training_from_host_held_rows_matches_training_from_device_rows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    demos = bright_side_demos()
    config = TrainConfig(steps=30, batch_size=32, log_every=10, hidden=(16,), device="cpu")
    whole = drain(train_bc(config, demos))
    monkeypatch.setattr(train_device, "_device_budget", lambda _device: 0)
    held = drain(train_bc(config, demos))
    for key, value in whole.policy.state_dict().items():
        assert torch.equal(held.policy.state_dict()[key], value), key
    assert [r.val_loss for r in held.history] == [r.val_loss for r in whole.history]


def test_auto_precision_is_mixed_only_for_image_policies_on_fast_hardware(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    monkeypatch.setattr(train_device, "cpu_multiplies_bfloat16", lambda: False)
    assert resolve_precision("auto", cpu, torso="dqn") == torch.float32
    monkeypatch.setattr(train_device, "cpu_multiplies_bfloat16", lambda: True)
    assert resolve_precision("auto", cpu, torso="dqn") == torch.bfloat16
    assert resolve_precision("auto", cpu, torso="cnn") == torch.float32  # tiny frames: NaNs
    assert resolve_precision("auto", cpu, torso="mlp") == torch.float32
    assert resolve_precision("auto", cuda, torso="mlp") == torch.float32
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert resolve_precision("auto", cuda, torso="dqn") == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert resolve_precision("auto", cuda, torso="dqn") == torch.float16  # a pre-Ampere GPU
    assert resolve_precision("bfloat16", cpu, torso="mlp") == torch.bfloat16
    with pytest.raises(TrainingError, match="float16 needs a CUDA device.*bfloat16 or float32"):
        resolve_precision("float16", cpu, torso="dqn")


def test_a_torch_without_the_cpu_checks_counts_as_no_bfloat16(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.delattr(torch.cpu, name, raising=False)
    assert train_device.cpu_multiplies_bfloat16() is False


def test_a_bfloat16_run_on_the_cpu_learns_and_keeps_float32_weights() -> None:
    config = TrainConfig(steps=60, batch_size=32, log_every=20, hidden=(16,), device="cpu",
                         precision="bfloat16", val_fraction=0.25)
    result = drain(train_bc(config, bright_side_demos()))
    assert all(p.dtype == torch.float32 for p in result.policy.parameters())
    assert result.history[-1].val_accuracy is not None
    assert result.history[-1].val_accuracy >= 0.9, [r.val_accuracy for r in result.history]


def test_a_failing_compile_falls_back_to_eager_with_a_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(_fn: object, **_kwargs: object) -> object:
        def fails(*_args: object) -> torch.Tensor:
            raise RuntimeError("no C++ compiler found\nmore detail")
        return fails

    monkeypatch.setattr(torch, "compile", broken)
    policy = image_policy()
    frames = torch.zeros(3, 40, 40, 2, dtype=torch.uint8)
    targets = torch.tensor([0, 1, 0])
    with caplog.at_level(logging.WARNING):
        loss = StepLoss(policy, compile_step=True)(frames, targets)
    assert torch.equal(loss, policy.loss(frames, targets))
    assert "torch.compile failed (RuntimeError: no C++ compiler found)" in caplog.text


@needs_cuda
def test_cuda_training_from_pinned_host_rows_in_mixed_precision(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_device, "_device_budget", lambda _device: 0)
    rows = DeviceRows(np.zeros((8, 40, 40, 2), np.uint8), torch.device("cuda"))
    assert rows.rows.is_pinned() and rows.gather(torch.arange(4)).is_cuda
    config = TrainConfig(steps=60, batch_size=32, log_every=20, hidden=(16,), device="cuda",
                         val_fraction=0.25)
    result = drain(train_bc(config, bright_side_demos()))
    assert result.device.startswith("cuda")
    assert result.history[-1].val_accuracy is not None
    assert result.history[-1].val_accuracy >= 0.9


@needs_cuda
def test_float16_steps_go_through_a_gradient_scaler() -> None:
    policy = image_policy().to("cuda")
    precision = StepPrecision("float16", torch.device("cuda"), policy)
    assert precision.scaler is not None
    optimizer = train_device.AdamSteps(torch.optim.Adam(policy.parameters()))
    with precision.autocast():
        loss = policy.loss(torch.zeros(4, 40, 40, 2, dtype=torch.uint8, device="cuda"),
                           torch.zeros(4, dtype=torch.long, device="cuda"))
    precision.backward(loss)
    precision.step(optimizer)
    assert all(torch.isfinite(p).all() for p in policy.parameters())


@pytest.mark.parametrize("functional", [True, False])  # False: a torch older than 2.7
@pytest.mark.parametrize("options", [{"fused": True}, {"fused": True, "weight_decay": 0.01},
                                     {"foreach": False, "amsgrad": True}])
def test_adam_steps_are_torch_adams_bit_for_bit(options: dict[str, object],
                                                functional: bool) -> None:
    torch.manual_seed(0)
    ours = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.LeakyReLU(),
                               torch.nn.Linear(32, 3))
    ours.register_parameter("unused", torch.nn.Parameter(torch.zeros(2)))  # never has a grad
    theirs = copy.deepcopy(ours)
    steps = train_device.AdamSteps(torch.optim.Adam(ours.parameters(), lr=1e-2, **options))
    adam = torch.optim.Adam(theirs.parameters(), lr=1e-2, **options)
    steps._functional = functional
    for step in range(7):
        inputs, targets = torch.randn(16, 4), torch.randint(0, 3, (16,))
        for net, optimizer in ((ours, steps), (theirs, adam)):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(inputs), targets).backward()
            if step >= 3:  # every weight has a gradient from here: the lean path
                net.unused.grad = torch.full((2,), 0.5)
            optimizer.step()
    assert ours.unused.grad is not None and steps._state is not None
    for (name, mine), other in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        assert torch.equal(mine, other), name
        for key, value in adam.state[other].items():
            assert torch.equal(steps.optimizer.state[mine][key], value), (name, key)
