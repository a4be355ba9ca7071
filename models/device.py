"""Choosing the torch device: CUDA when present, then Apple MPS, else the CPU."""

from __future__ import annotations

import logging
import os

import torch

from clonelab.recorder.configs import TORCH_DEVICES

log = logging.getLogger(__name__)

class DeviceError(ValueError):
    """The requested device does not exist on this machine."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(name: str = "auto") -> torch.device:
    """Return the device called `name`; "auto" prefers CUDA, then MPS, then the CPU.

    Raises `DeviceError` when a named accelerator is absent, rather than silently training
    on the CPU at a fraction of the expected speed.
    """
    if name == "auto":
        if torch.cuda.is_available():
            device = torch.device("cuda")
        elif _mps_available():
            device = torch.device("mps")
        else:
            device = torch.device("cpu")
        log.debug("auto device: %s", device)
        return device
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                "device 'cuda' requested but torch sees no CUDA GPU "
                f"(torch {torch.__version__}); use device 'auto' or 'cpu'"
            )
        return torch.device("cuda")
    if name == "mps":
        if not _mps_available():
            raise DeviceError(
                "device 'mps' requested but Apple MPS is not available; use device 'auto' or 'cpu'"
            )
        return torch.device("mps")
    raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(TORCH_DEVICES)}")


def leave_a_core_free() -> int:
    """Cap torch's CPU threads at one fewer than the machine's cores (at least one).

    For interactive use: a GUI that trains in a background thread needs a core of its own for
    its event loop, or frame times spike while torch's threads hold every core. Returns the
    thread count now in force.
    """
    threads = max(1, (os.cpu_count() or 1) - 1)
    torch.set_num_threads(threads)
    return threads
