"""Helpers shared by the benchmark scripts: machine description and robust summaries.

The machines these run on are shared with other work, so each number is the median of several
interleaved runs, reported with its spread and the load average around it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import torch


def machine() -> dict[str, object]:
    """CPU count and model, memory, load average, Python and torch versions."""
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "mem_gib": round(mem_kib / 2**20, 1),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, min, max and count of repeated measurements."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def write_json(path: str | Path, payload: dict[str, object]) -> None:
    """Keep the raw results next to the summary for whoever checks the numbers."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=2) + "\n")


def finish(path: str | Path, *, before: dict[str, object], results_key: str,
           results: dict[str, object], **extra: object) -> None:
    """Write the run's report (the command, `extra`, the machine before and after, the
    results) to `path` and print the results."""
    report = {"command": " ".join(sys.argv), **extra, "machine_before": before,
              "machine_after": machine(), results_key: results}
    write_json(path, report)
    print(json.dumps(results, indent=2))
