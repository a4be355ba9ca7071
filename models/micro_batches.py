"""A training step's forward and backward passes over its batch in parts, on the CPU.

The gradient is the batch's: each part's loss is weighted by its share of the batch and the
parts' gradients add up in the weights' `.grad` (float rounding aside), and one optimiser step
follows. What changes is the working set: a CPU step's float inputs, activations and their
gradients are the app's own memory, and a batch of 256 stacked 84x84x4 Pong inputs through the
DQN torso held about 170 MiB of it, two parts of 128 about 115 MiB, at the same speed
(docs/benchmarks.md, "The app's memory while training Pong"). A GPU keeps its batch whole:
its memory is its own, and its kernels want large batches.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any

import torch

from clonelab.models.policy import Policy
from clonelab.models.train_device import StepPrecision

# Float input bytes one forward pass takes at most on the CPU: 148 stacked 84x84x4 frames.
PART_INPUT_BYTES = 16 * 2**20


def input_row_bytes(policy: Policy) -> int:
    """Bytes of one row of `policy`'s inputs as float32, as its torso reads them."""
    return 4 * math.prod(policy.spec.input_shape)


def part_rows(policy: Policy, batch_size: int, device: torch.device) -> int:
    """Rows per forward pass: the whole batch off the CPU or when its float inputs fit in
    PART_INPUT_BYTES, else the batch in the fewest equal parts that each fit."""
    row_bytes = input_row_bytes(policy)
    if device.type != "cpu" or batch_size * row_bytes <= PART_INPUT_BYTES:
        return batch_size
    parts = math.ceil(batch_size * row_bytes / PART_INPUT_BYTES)
    return math.ceil(batch_size / parts)


def forward_backward(step_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                     precision: StepPrecision, inputs: torch.Tensor, targets: torch.Tensor,
                     rows: int) -> torch.Tensor:
    """Forward and backward passes over the batch `rows` at a time, gradients left in the
    weights' `.grad`; the batch's mean loss, detached.

    Under DistributedDataParallel (`step_loss` has `no_sync`) the gradients are averaged over
    the ranks once, in the last part's backward pass.
    """
    total = len(inputs)
    no_sync: Callable[[], Any] | None = getattr(step_loss, "no_sync", None)
    loss_sum: torch.Tensor | None = None
    for start in range(0, total, rows):
        last = start + rows >= total
        syncing = no_sync() if no_sync is not None and not last else contextlib.nullcontext()
        with syncing:
            with precision.autocast():
                loss = step_loss(inputs[start : start + rows], targets[start : start + rows])
            if rows < total:
                loss = loss * (min(rows, total - start) / total)
            precision.backward(loss)
        loss_sum = loss.detach() if loss_sum is None else loss_sum + loss.detach()
    assert loss_sum is not None, "an empty batch"
    return loss_sum
