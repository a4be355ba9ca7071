"""Training's progress records: what one says, and the check of the losses it sums up."""

from __future__ import annotations

import math
from dataclasses import dataclass

from clonelab.models.data import TrainingError


@dataclass(frozen=True, kw_only=True)
class TrainProgress:
    """One progress record: where training is and how well the clone fits."""

    step: int
    """Gradient steps done."""
    total_steps: int
    """Gradient steps the run will take at most (if not cancelled or stopped early)."""
    epoch: float
    """Passes over the training transitions so far (fractional)."""
    train_loss: float | None
    """Mean BC loss over the steps since the previous record; None before the first step."""
    val_loss: float | None
    """BC loss on the held-out episodes; None without validation data."""
    val_accuracy: float | None
    """Share of held-out steps where argmax matches the expert (Discrete actions only)."""
    val_action_error: float | None
    """Mean absolute error of mu against the expert, in env units (Box actions only)."""
    eval_return: float | None
    """Mean return over `select_episodes` evaluation episodes (select_by "eval_return" only)."""
    best_step: int | None
    """Step of the best record so far (lowest validation loss, or highest eval_return with
    select_by "eval_return"): the weights the run keeps unless select_by is "last"; None while
    nothing is scored (no validation data)."""
    samples_per_s: float
    """Training throughput so far (validation time excluded)."""
    elapsed_s: float
    """Seconds spent inside training so far (time the caller holds a record is excluded)."""
    world_size: int = 1
    """Training processes (torch.distributed ranks): each step's global batch is
    batch_size x world_size rows, and train_loss is their mean."""


def window_mean(loss_sum: float, steps: int, step: int, lr: float) -> float | None:
    """The mean training loss of the `steps` steps up to `step` (None without steps); a
    TrainingError naming those steps when their sum is not finite."""
    if not steps:
        return None
    if not math.isfinite(loss_sum):
        first = step - steps + 1
        where = f"at step {step}" if first == step else f"in steps {first}-{step}"
        raise TrainingError(
            f"the loss became {loss_sum} {where} (lr {lr:g}); lower the learning rate, or check "
            "the dataset for extreme values")
    return loss_sum / steps
