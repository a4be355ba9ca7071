"""Device choice: CUDA, then MPS, then CPU; a named device that is absent is a clear error."""

from __future__ import annotations

import pytest
import torch

from clonelab.models import device as device_module
from clonelab.models.device import DeviceError, pick_device


@pytest.fixture
def no_accelerators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(device_module, "_mps_available", lambda: False)


def test_auto_falls_back_to_cpu(no_accelerators: None) -> None:
    assert pick_device("auto") == torch.device("cpu")


def test_auto_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch, no_accelerators: None) -> None:
    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    assert pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")


def test_cpu_is_always_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["cuda", "mps"])
def test_absent_accelerator_is_a_clear_error(name: str, no_accelerators: None) -> None:
    with pytest.raises(DeviceError, match=f"'{name}' requested.*use device 'auto' or 'cpu'"):
        pick_device(name)


def test_unknown_device_name_lists_the_choices() -> None:
    with pytest.raises(DeviceError, match="auto, cpu, cuda, mps"):
        pick_device("tpu")


def test_leave_a_core_free_caps_torch_threads(monkeypatch) -> None:
    import torch

    from clonelab.models.device import leave_a_core_free

    before = torch.get_num_threads()
    try:
        monkeypatch.setattr("os.cpu_count", lambda: 4)
        assert leave_a_core_free() == 3 and torch.get_num_threads() == 3
        monkeypatch.setattr("os.cpu_count", lambda: 1)
        assert leave_a_core_free() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
