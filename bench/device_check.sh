#!/usr/bin/env bash
# The GPU path, measured (bench/device_check.py): one JSON line per measure on stdout.
# Runs on CUDA when torch sees a GPU, else on the CPU. Pass --quick (or set
# CLONELAB_CHECK_QUICK=1) for tiny budgets; PYTHON picks the interpreter (default: the
# repository's .venv, else python3).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-../.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
exec timeout 480 "$PYTHON" device_check.py "$@"
