"""The device side of a training step: where the rows live, mixed precision, compilation.

`DeviceRows` keeps a dataset's observations on the training device when they fit, else in host
memory (pinned on CUDA) from which each batch is gathered and copied without blocking. Image
frames stay uint8 on the way: the torso scales them on the device. `StepPrecision` runs the
forward pass under autocast (bfloat16, or float16 with a gradient scaler) where asked.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import numpy as np
import torch
from torch.optim.adam import adam

from clonelab.models.data import TrainingError
from clonelab.models.policy import Policy
from clonelab.models.torsos import TorsoName
from clonelab.models.train_config import Precision, TrainConfig

log = logging.getLogger(__name__)

# A dataset goes to the GPU whole when it takes at most this share of the free GPU memory; the
# rest is left for activations, the optimiser state and other programs.
GPU_SHARE = 0.5

class DeviceRows:
    """Observation rows that training gathers batches from, by row index.

    On the CPU, or on a GPU with room, all rows sit on the device and a batch is one index
    gather there. Otherwise they stay on the host, pinned on CUDA so that a batch gathered into
    one of two pinned buffers is copied while the previous step still runs.
    """

    def __init__(self, observations: np.ndarray, device: torch.device, *,
                 device_budget: int | None = None) -> None:
        self.device = device
        host = torch.as_tensor(observations)
        budget = _device_budget(device) if device_budget is None else device_budget
        self.on_device = host.nbytes <= budget
        if self.on_device:
            self.rows = host.to(device)
            self._buffers: list[torch.Tensor] = []
            self._copied: list[torch.cuda.Event | None] = []
            return
        pin = device.type == "cuda"
        self.rows = host.pin_memory() if pin else host
        log.info("%.0f MB of observations stay in %s host memory; batches are copied to %s",
                 host.nbytes / 2**20, "pinned" if pin else "ordinary", device)
        self._buffers = []
        self._copied = [None, None]
        self._turn = 0
        self._pin = pin

    def __len__(self) -> int:
        return len(self.rows)

    def gather(self, rows: torch.Tensor) -> torch.Tensor:
        """The observations of `rows` (a CPU index tensor) on the device."""
        if self.on_device:  # index_select: 2.8 us for 256 of 50,000 CartPole rows, [] 4.5
            return torch.index_select(self.rows, 0, rows.to(self.device, non_blocking=True))
        if not self._buffers or len(self._buffers[0]) < len(rows):
            shape = (len(rows), *self.rows.shape[1:])
            self._buffers = [torch.empty(shape, dtype=self.rows.dtype, pin_memory=self._pin)
                             for _ in range(2)]
        turn, self._turn = self._turn, 1 - self._turn
        copied = self._copied[turn]
        if copied is not None:
            copied.synchronize()  # the copy out of this buffer two batches ago is done
        buffer = self._buffers[turn][: len(rows)]
        torch.index_select(self.rows, 0, rows, out=buffer)
        batch = buffer.to(self.device, non_blocking=self._pin)
        if self._pin:
            event = torch.cuda.Event()
            event.record()
            self._copied[turn] = event
        return batch


def _device_budget(device: torch.device) -> int:
    """Bytes of observations the device takes whole (unbounded on the CPU: it is host memory)."""
    if device.type != "cuda":
        return 2**62
    free, _total = torch.cuda.mem_get_info(device)
    return int(free * GPU_SHARE)


class StepPrecision:
    """Autocast and gradient scaling for one run's training steps."""

    def __init__(self, precision: Precision, device: torch.device, policy: Policy) -> None:
        self.device = device
        self.dtype = resolve_precision(precision, device, torso=policy.spec.torso_name)
        # float16 overflows without loss scaling; bfloat16 has float32's range and needs none.
        self.scaler = (torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None)

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        """The forward pass's context: autocast to `dtype`, or nothing for float32."""
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        """The backward pass, through the scaler when there is one."""
        if self.scaler is None:
            loss.backward()
        else:
            self.scaler.scale(loss).backward()

    def step(self, optimizer: AdamSteps) -> None:
        """The optimiser step on the gradients of the backward passes since the last one."""
        if self.scaler is None:
            optimizer.step()
            return
        self.scaler.step(optimizer.optimizer)
        self.scaler.update()


def resolve_precision(precision: Precision, device: torch.device, *,
                      torso: TorsoName) -> torch.dtype:
    """The autocast dtype for `precision` on `device`, for a policy with `torso`.

    "auto" is bfloat16 (float16 on GPUs without it) for image torsos on CUDA, where the
    convolutions run on tensor cores, and for the DQN torso on CPUs that multiply bfloat16
    natively (`cpu_multiplies_bfloat16`); float32 elsewhere: other CPUs emulate half
    precision, an MLP's small matrices gain little, and the small "cnn" torso on tiny frames
    (4x4) got NaN weights from bfloat16 CPU convolutions in 6 of 80 three-step runs, where
    the DQN torso (frames of 36 pixels and more) got none in 100. Naming float16 off CUDA is
    a TrainingError (its gradient scaler is CUDA's).
    """
    if precision == "float32":
        return torch.float32
    if precision == "bfloat16":
        return torch.bfloat16
    if precision == "float16":
        if device.type != "cuda":
            raise TrainingError(f"precision float16 needs a CUDA device, training is on {device}; "
                                "choose bfloat16 or float32")
        return torch.float16
    if torso == "mlp":
        return torch.float32
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and torso == "dqn" and cpu_multiplies_bfloat16():
        return torch.bfloat16
    return torch.float32


def cpu_multiplies_bfloat16() -> bool:
    """Whether this CPU has bfloat16 dot products (AVX-512 BF16 or AMX tiles).

    There oneDNN's bfloat16 convolutions train the DQN torso about 1.5x faster than float32
    (3,900 against 2,550 samples/s on Pong, 2 cores of an AMD EPYC; docs/benchmarks.md).
    torch exposes the check only under private names: a torch without them counts as no.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def step_optimizer(policy: Policy, config: TrainConfig) -> AdamSteps:
    """Adam over the policy's weights, fused into one kernel for all of them per step on the
    devices torch has it for (CPU, CUDA): the default steps each weight tensor with its own
    dozen small ops, which on a CPU cost about a sixth of a vector BC step."""
    fused = policy.device.type in ("cpu", "cuda")
    return AdamSteps(torch.optim.Adam(policy.parameters(), lr=config.lr,
                                      weight_decay=config.weight_decay, fused=fused or None))


class AdamSteps:
    """A run's steps of a one-group `torch.optim.Adam` (`optimizer`): the first through its
    `step()`, which makes its state; later ones through the functional `torch.optim.adam.adam`
    that `step()` calls, on that state with the group's settings, without what `step()` does
    around it on every call (profiling hooks, checking and gathering each weight's state).
    The weights come out bit for bit the same (tests/models/test_train_device.py); a 120-step
    CartPole run takes 6% less CPU time. A step where a weight has no gradient goes through
    `step()`, and so does every step a gradient scaler takes (it steps `optimizer` itself)."""

    def __init__(self, optimizer: torch.optim.Adam) -> None:
        self.optimizer = optimizer
        (self._group,) = optimizer.param_groups
        self._weights: list[torch.Tensor] = list(self._group["params"])
        self._complex = any(torch.is_complex(weight) for weight in self._weights)
        self._state: tuple[list[torch.Tensor], ...] | None = None
        # The functional `adam` takes the group's settings as they are named since torch 2.7
        # (decoupled_weight_decay); an older torch's steps all go through `step()`.
        self._functional = "decoupled_weight_decay" in self._group

    def set_lr(self, lr: float) -> None:
        """The learning rate of the next steps."""
        self._group["lr"] = lr

    def zero_grad(self) -> None:
        """Drop the gradients (`zero_grad(set_to_none=True)` without its profiling hook)."""
        for weight in self._weights:
            weight.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One Adam step of every weight."""
        grads = [weight.grad for weight in self._weights if weight.grad is not None]
        if not self._functional or self._state is None or len(grads) < len(self._weights):
            self.optimizer.step()
            self._state = self._made_state()
            return
        group = self._group
        exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = self._state
        adam(self._weights, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
             amsgrad=group["amsgrad"], beta1=group["betas"][0], beta2=group["betas"][1],
             lr=group["lr"], weight_decay=group["weight_decay"], eps=group["eps"],
             maximize=group["maximize"], foreach=group["foreach"],
             capturable=group["capturable"], differentiable=group["differentiable"],
             fused=group["fused"], decoupled_weight_decay=group["decoupled_weight_decay"],
             has_complex=self._complex)

    def _made_state(self) -> tuple[list[torch.Tensor], ...] | None:
        """Each weight's Adam state as `adam` takes it, once every weight has one."""
        state = self.optimizer.state
        states = [state[weight] for weight in self._weights if weight in state]
        if len(states) < len(self._weights):
            return None
        return ([s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["max_exp_avg_sq"] for s in states] if self._group["amsgrad"] else [],
                [s["step"] for s in states])


LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class StepLoss:
    """`policy.loss` of inputs already normalised (`Policy.normalise`), through torch.compile
    when asked; eager again, with a warning, when compiling fails (no C++ compiler, an
    unsupported platform): the run goes on either way."""

    def __init__(self, policy: Policy, compile_step: bool) -> None:
        def eager(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            return policy.loss(inputs, targets, normalised=True)

        self._eager: LossFn = eager
        self._fn: LossFn = torch.compile(eager) if compile_step else eager
        self._proven = not compile_step

    def __call__(self, observations: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The batch's BC loss."""
        if self._proven:
            return self._fn(observations, targets)
        try:
            loss = self._fn(observations, targets)
        except Exception as error:  # noqa: BLE001 - torch.compile fails in many ways
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            log.warning("torch.compile failed (%s: %s); training without it",
                        type(error).__name__, first[:200])
            self._fn = self._eager
            loss = self._eager(observations, targets)
        self._proven = True
        return loss
