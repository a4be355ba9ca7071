"""What the `clonelab` sub-commands print: strict JSON, the summary table, note and problem lines.

Every `--json` line and JSON file the CLI writes goes through :func:`strict_json`, so a NaN or
an infinity (a loss that does not exist, a return of a diverged policy) is `null`, never the
`NaN` that Python's json writes by default and no JSON parser reads.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """``value`` as JSON data: numpy values unwrapped, paths as text, non-finite floats None."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def strict_json(value: Any, *, indent: int | None = None) -> str:
    """JSON text of ``value`` that every parser reads (``null`` where a number does not exist)."""
    # allow_nan=False: should plain() ever miss a NaN, fail loudly rather than print one.
    return json.dumps(plain(value), sort_keys=True, allow_nan=False, indent=indent)


def report(summary: Mapping[str, Any], *, as_json: bool) -> None:
    """Print a summary: one strict JSON line, or an aligned ``key  value`` table."""
    if as_json:
        print(strict_json(summary))
        return
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        print(f"{key:<{width}}  {value}")


def say(command: str, kind: str, line: str) -> None:
    """One line on stderr: ``clonelab COMMAND: KIND: LINE`` (a note, a problem, an error)."""
    print(f"clonelab {command}: {kind}: {line}", file=sys.stderr)
