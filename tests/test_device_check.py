"""bench/device_check.sh falls back to the CPU and prints one valid JSON line per measure."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "device_check.sh"

pytestmark = pytest.mark.slow


def test_device_check_runs_on_the_cpu_with_tiny_budgets() -> None:
    env = {**os.environ, "CLONELAB_CHECK_QUICK": "1"}
    out = subprocess.run([str(SCRIPT), "--device", "cpu", "--threads", "1", "--processes", "2"],
                         env=env, capture_output=True, text=True, timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    measures = {line["measure"]: line for line in lines}
    assert list(measures) == ["machine", "vector_bc_throughput", "pixel_bc_throughput",
                              "clone_return", "multi_process_scaling", "peak_gpu_memory"]
    assert all(line["device"] == "cpu" for line in lines)
    for name in ("vector_bc_throughput", "pixel_bc_throughput"):
        rates = measures[name]["samples_per_s"]
        assert rates["clonelab"] > 0 and rates["bare"] > 0
        assert measures[name]["clonelab_over_bare"] > 0
    assert measures["clone_return"]["trained_on"] == "cpu"
    assert measures["clone_return"]["return_mean"] > 0
    scaling = measures["multi_process_scaling"]  # the multi-GPU case, here 2 CPU processes
    assert scaling["processes"] == 2 and set(scaling["samples_per_s"]) == {"1", "2"}
    assert scaling["scaling_efficiency"] > 0
    assert measures["peak_gpu_memory"]["bytes"] is None  # no GPU: null, not 0
