"""Training across processes with `torch.distributed`: who this process is, and the collectives
BC needs.

`torchrun` (or `clonelab train --nproc N`, which runs torchrun's own launcher) starts one
process per CPU share or GPU and tells each its place through the environment (RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). `World.from_env()` reads it; `join` starts
the process group (gloo on the CPU, NCCL on CUDA) with a timeout on every collective, so a
rank that dies makes the others fail with one line instead of waiting for ever. The model is
wrapped in DistributedDataParallel (`data_parallel`), which averages the gradients: with every
rank on an equal shard of the global batch, one step is the step one process would take on the
whole global batch.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from clonelab.models.data import TrainingError

__all__ = ["DEFAULT_TIMEOUT_S", "PEER_LOST_STATUS", "PeerLostError", "World", "data_parallel",
           "join", "leave", "main_decides", "mean_over_ranks"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0
"""Seconds a collective waits for the other ranks before the run fails (a dead rank, a hung
machine). Rank 0 validates while the others wait at the next step's gradient average, so this
also bounds one validation."""

PEER_LOST_STATUS = 3
"""Exit status of a training process whose peers stopped answering: the launcher, which saw
which process died first, says so in one line."""


class PeerLostError(TrainingError):
    """Another training process stopped (killed, crashed) or did not answer within the timeout."""


def peer_lost(error: BaseException) -> PeerLostError:
    """The PeerLostError for a failed collective `error`."""
    return PeerLostError(f"another training process stopped or timed out: {_first_line(error)}")


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    """Global rank: 0 logs, validates and writes the checkpoint."""
    size: int = 1
    """Number of training processes (the world size)."""
    local_rank: int = 0
    """Rank on this machine: picks this process's GPU."""

    @classmethod
    def from_env(cls) -> World:
        """The world torchrun describes in the environment; one process when it says nothing."""
        try:
            return cls(rank=int(os.environ.get("RANK", "0")),
                       size=int(os.environ.get("WORLD_SIZE", "1")),
                       local_rank=int(os.environ.get("LOCAL_RANK", "0")))
        except ValueError as error:
            raise TrainingError(f"the torchrun environment is malformed: {error}") from None

    @property
    def is_main(self) -> bool:
        """True on rank 0, the one process that logs, validates and saves."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when more than one process trains."""
        return self.size > 1

    def shard(self, global_batch: torch.Tensor) -> torch.Tensor:
        """This rank's contiguous share of `global_batch` (equal shares when it divides)."""
        per_rank = -(-len(global_batch) // self.size)
        return global_batch[self.rank * per_rank : (self.rank + 1) * per_rank]


def join(world: World, device: torch.device, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Start this process's process group (NCCL on CUDA, gloo elsewhere); no-op for one process.

    On CUDA each process takes GPU `local_rank`.
    """
    if not world.distributed or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(world.local_rank)
    try:
        dist.init_process_group(backend, rank=world.rank, world_size=world.size,
                                timeout=datetime.timedelta(seconds=timeout_s))
    except (RuntimeError, ValueError) as error:
        raise TrainingError(f"could not join the {world.size} training processes "
                            f"({backend}): {_first_line(error)}") from None
    log.info("rank %d of %d joined (%s)", world.rank, world.size, backend)


def leave(*, together: bool = False) -> None:
    """End this process's process group, if it has one; `together` (a run that ended well on
    every rank) waits for every rank first."""
    if dist.is_initialized():
        if together:
            # No rank tears the group down while a peer still uses it. (The aborts seen at the
            # end of 2-process runs came later, at the process's exit: app/cli/__main__.py.)
            dist.barrier()
        dist.destroy_process_group()


class _LossModule(nn.Module):
    """`loss(observations, targets)` as a module's forward, so DDP sees the forward pass."""

    def __init__(self, loss_owner: nn.Module, loss: Callable[..., torch.Tensor]) -> None:
        super().__init__()
        self.owner = loss_owner
        self._loss = loss

    def forward(self, observations: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self._loss(observations, targets)


def data_parallel(model: nn.Module, loss: Callable[..., torch.Tensor], world: World,
                  device: torch.device) -> Callable[..., torch.Tensor]:
    """`loss` with its gradients averaged over the ranks (DistributedDataParallel), or `loss`
    itself for one process. `loss` must compute through `model`'s parameters."""
    if not world.distributed:
        return loss
    wrapped = nn.parallel.DistributedDataParallel(
        _LossModule(model, loss), device_ids=[world.local_rank] if device.type == "cuda" else None)
    return wrapped


def mean_over_ranks(value: torch.Tensor, world: World) -> torch.Tensor:
    """`value` averaged over every rank (a collective: every rank must call it)."""
    if not world.distributed:
        return value
    total = value.detach().clone()
    _collective(lambda: dist.all_reduce(total, op=dist.ReduceOp.SUM))
    return total / world.size


def main_decides(flag: bool, world: World, device: torch.device) -> bool:
    """Rank 0's `flag`, on every rank (a collective: every rank must call it)."""
    if not world.distributed:
        return flag
    value = torch.tensor([1 if flag else 0], device=device)
    _collective(lambda: dist.broadcast(value, src=0))
    return bool(value.item())


def _collective(operation: Callable[[], object]) -> None:
    try:
        operation()
    except RuntimeError as error:  # gloo and NCCL errors (DistBackendError) are RuntimeErrors
        raise peer_lost(error) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
