"""Training steps in parts: the same weights as whole batches, parts only on the CPU and only
for inputs too large for one forward pass, gradients synced across processes once a step."""

from __future__ import annotations

import contextlib

import gymnasium as gym
import numpy as np
import pytest
import torch

from clonelab.models import micro_batches
from clonelab.models.micro_batches import forward_backward, part_rows
from clonelab.models.policy import Policy, PolicySpec
from clonelab.models.train_device import StepPrecision
from clonelab.models.training import TrainConfig, train_bc
from clonelab.recorder.jobs import drain
from tests.models.test_train_device import bright_side_demos

PONG_INPUT = gym.spaces.Box(0, 255, (84, 84, 4), np.uint8)  # the default Atari pipeline's input


def policy_for(space: gym.spaces.Box) -> Policy:
    return Policy(PolicySpec(env_id="Custom-v0", observation_space=space,
                             action_space=gym.spaces.Discrete(6), hidden=(8,)))


def test_a_pong_batch_is_halved_on_the_cpu_only() -> None:
    pong = policy_for(PONG_INPUT)
    assert part_rows(pong, 256, torch.device("cpu")) == 128  # 256 x 113 kB of floats: 2 parts
    assert part_rows(pong, 64, torch.device("cpu")) == 64
    assert part_rows(pong, 256, torch.device("cuda")) == 256
    vector = policy_for(gym.spaces.Box(-1, 1, (4,), np.float32))
    assert part_rows(vector, 4096, torch.device("cpu")) == 4096


def test_training_in_parts_keeps_the_weights_of_whole_batches(monkeypatch) -> None:
    demos = bright_side_demos()
    # float32: bfloat16 (auto's pick on some CPUs) rounds parts and whole batches apart.
    config = TrainConfig(steps=30, batch_size=32, log_every=10, hidden=(16,), device="cpu",
                         precision="float32")
    whole = drain(train_bc(config, demos))
    seen: list[int] = []
    real_forward_backward = micro_batches.forward_backward

    def counted(step_loss, precision, inputs, targets, rows):  # noqa: ANN001, ANN202
        def loss(part_inputs: torch.Tensor, part_targets: torch.Tensor) -> torch.Tensor:
            seen.append(len(part_inputs))
            return step_loss(part_inputs, part_targets)
        return real_forward_backward(loss, precision, inputs, targets, rows)

    # 40x40x2 float inputs are 12.8 kB a row: parts of 11, 11 and 10 rows.
    monkeypatch.setattr(micro_batches, "PART_INPUT_BYTES", 12 * 12_800)
    monkeypatch.setattr("clonelab.models.training.forward_backward", counted)
    parts = drain(train_bc(config, demos))
    assert seen[:3] == [11, 11, 10] and max(seen) == 11
    for key, value in whole.policy.state_dict().items():
        torch.testing.assert_close(parts.policy.state_dict()[key], value, rtol=1e-4, atol=1e-6)
    for ours, theirs in zip(parts.history, whole.history, strict=True):
        assert ours.train_loss == pytest.approx(theirs.train_loss, rel=1e-4)


def test_gradients_are_synced_once_a_step_across_processes() -> None:
    weight = torch.zeros(3, requires_grad=True)
    events: list[str] = []

    class Parallel:  # what DistributedDataParallel offers: a call, and no_sync
        def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            events.append("forward")
            return ((inputs @ weight - targets) ** 2).mean()

        @contextlib.contextmanager
        def no_sync(self):  # noqa: ANN202
            events.append("no_sync")
            yield

    inputs, targets = torch.arange(30.0).reshape(10, 3), torch.ones(10)
    precision = StepPrecision("float32", torch.device("cpu"), policy_for(PONG_INPUT))
    loss = forward_backward(Parallel(), precision, inputs, targets, rows=4)
    assert events == ["no_sync", "forward", "no_sync", "forward", "forward"]  # parts 4, 4, 2
    expected = ((inputs @ torch.zeros(3) - targets) ** 2).mean()
    assert float(loss) == pytest.approx(float(expected))
    assert weight.grad is not None
    torch.testing.assert_close(weight.grad, 2 * (inputs.T @ -targets) / 10)
