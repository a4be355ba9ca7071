"""Which weights a BC run keeps, when it stops early, and when it overfits.

`train_bc` offers `BestWeights` a score at every progress record (the validation loss, or the
negated evaluation return); it keeps a copy of the best weights, and says when `patience`
steps have passed without a new best. `overfit_warning` reads a run's records for the Train
tab and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch

__all__ = ["OVERFIT_RISE", "BestWeights", "overfit_warning"]

# How far above its best the validation loss must climb to count as overfitting, as a share of
# the best loss's size (at least 0.1 nats): well clear of the record-to-record noise of a
# converged run, and passed long before a run like issue 9's (0.9 rising to 8.5).
OVERFIT_RISE = 0.5


class LossRecord(Protocol):
    """The part of a `TrainProgress` record that `overfit_warning` reads."""

    @property
    def step(self) -> int: ...

    @property
    def train_loss(self) -> float | None: ...

    @property
    def val_loss(self) -> float | None: ...


class BestWeights:
    """The best-scoring weights seen so far (lower scores are better) and the step they had."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_step: int | None = None
        self.best_score: float | None = None
        self._state: dict[str, torch.Tensor] | None = None

    def offer(self, step: int, score: float | None, module: torch.nn.Module) -> bool:
        """Keep a copy of `module`'s weights when `score` beats the best so far; True if so."""
        if score is None or (self.best_score is not None and score >= self.best_score):
            return False
        self.best_step, self.best_score = step, score
        self._state = {name: value.detach().clone()
                       for name, value in module.state_dict().items()}
        return True

    def should_stop(self, step: int) -> bool:
        """Whether `patience` steps have passed since the best (never with patience 0)."""
        return (self.patience > 0 and self.best_step is not None
                and step - self.best_step >= self.patience)

    def restore(self, module: torch.nn.Module) -> None:
        """Load the kept weights back into `module` (nothing to do before the first best)."""
        if self._state is not None:
            module.load_state_dict(self._state)


def overfit_warning(history: Sequence[LossRecord]) -> str | None:
    """A one-line warning when the latest validation loss has risen well above its best while
    the training loss fell below its value at that best; None otherwise."""
    scored = [record for record in history if record.val_loss is not None]
    if len(scored) < 2:
        return None
    best = min(scored, key=lambda record: record.val_loss)  # type: ignore[arg-type, return-value]
    last = scored[-1]
    assert best.val_loss is not None and last.val_loss is not None
    if last.val_loss <= best.val_loss + OVERFIT_RISE * max(abs(best.val_loss), 0.1):
        return None
    if best.train_loss is None or last.train_loss is None or last.train_loss >= best.train_loss:
        return None
    return (f"Overfitting: validation loss {last.val_loss:.3g} at step {last.step} is up from "
            f"its best {best.val_loss:.3g} at step {best.step} while the training loss fell "
            f"({best.train_loss:.3g} to {last.train_loss:.3g}).")
