"""Training's progress records: what one says, when the next is due, and the time left.

The first record of a run comes once FIRST_RECORD_S seconds of training have passed or at
`log_every` steps, whichever is first: a slow dataset (pixels on a CPU, at a second a step)
shows its first figures within seconds, not after `log_every` steps; later records come every
`log_every` steps. The ETA counts the records' own time (validation, snapshot evaluations)
next to the steps'. Time comes from a clock the caller passes, so tests run on a fake one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from clonelab.models.data import TrainingError

# Seconds of training after which the first record is due, even before `log_every` steps.
FIRST_RECORD_S = 2.0
# Seconds between the records that say how far loading a dataset has come.
LOAD_RECORD_S = 1.0

Clock = Callable[[], float]
"""A time source in seconds (`time.perf_counter`, or a test's fake)."""


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
    eta_s: float | None = None
    """Seconds the run will still take at most: the steps left at the time per step so far,
    plus the records left at the mean time a record took (validation and snapshot evaluations
    included); None before the first step. Early stopping can end the run sooner."""
    loaded: float | None = None
    """Share of the dataset's frames read and converted, on the records that come while a
    large image dataset loads (step 0, every LOAD_RECORD_S seconds; not in the run's history);
    None on training records."""


class ProgressPlan:
    """When a run records its progress, and how long the rest of it will take."""

    def __init__(self, *, log_every: int, total: int, now: Clock) -> None:
        self.log_every = log_every
        self.total = total
        self._now = now
        self._first_due = now() + FIRST_RECORD_S
        self.records = 0
        self.record_s = 0.0

    def due(self, step: int, agree: Callable[[bool], bool] = bool) -> bool:
        """Whether a record is due after `step` steps. The first record's time rule goes
        through `agree` (several processes take rank 0's word: `distributed.main_decides`)."""
        if step % self.log_every == 0 or step == self.total:
            return True
        return self.records == 0 and agree(self._now() >= self._first_due)

    def recorded(self, seconds: float) -> None:
        """Count a record that took `seconds`."""
        self.records += 1
        self.record_s += seconds

    def records_left(self, step: int) -> int:
        """Records still to come after the one at `step`: one every `log_every` steps, and
        the final one when `total` is not a multiple of it."""
        if step >= self.total:
            return 0
        left = self.total // self.log_every - step // self.log_every
        return left + (1 if self.total % self.log_every else 0)

    def eta_s(self, step: int, train_s: float) -> float | None:
        """Seconds left after `step` steps that took `train_s` seconds of training: the steps
        left at that pace plus the records left at the mean record time so far."""
        if step <= 0 or train_s <= 0:
            return None
        per_record = self.record_s / self.records if self.records else 0.0
        return (self.total - step) * train_s / step + self.records_left(step) * per_record


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
