"""The house rules that keep the layers apart and the code clean, checked on every run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Imports every module of the given packages with the given top-level modules made unimportable.
IMPORT_WITHOUT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class Block:
        def __init__(self, names):
            self.names = names
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.names:
                raise ImportError(f"{name} is blocked for this check")
            return None

    packages, blocked = sys.argv[1].split(","), set(sys.argv[2].split(","))
    sys.meta_path.insert(0, Block(blocked))
    for package_name in packages:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(module.name)
    leaked = blocked & {name.split(".")[0] for name in sys.modules}
    assert not leaked, leaked
    """
)


def _import_without(packages: str, blocked: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    return subprocess.run(
        [sys.executable, "-c", IMPORT_WITHOUT, packages, blocked],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_import_contracts_hold() -> None:
    """import-linter: app > models > recorder, and no Qt or torch where they do not belong."""
    from importlinter.cli import lint_imports

    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(no_cache=True, no_logo=True) == 0
    finally:
        os.chdir(previous)


def test_recorder_imports_without_qt_or_torch() -> None:
    result = _import_without("clonelab.recorder", "PySide6,pyqtgraph,torch")
    assert result.returncode == 0, result.stderr


def test_models_imports_without_qt() -> None:
    result = _import_without("clonelab.models,clonelab.recorder", "PySide6,pyqtgraph")
    assert result.returncode == 0, result.stderr


def test_ruff_is_clean() -> None:
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is installed with the test extras")
    result = subprocess.run(
        [str(ruff), "check", "app", "recorder", "models", "tests", "bench", "tools"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """mypy over clonelab.recorder and clonelab.models, with pyproject's [tool.mypy] settings."""
    pytest.importorskip("mypy", reason="mypy is installed with the test extras")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "typecheck.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
