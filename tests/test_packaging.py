"""The wheel: it installs one package, clonelab, and its `clonelab` command works from it alone.

The wheel is built offline from a copy of the sources (so stale files in the repository's own
build/ cannot leak into it) and installed into a fresh venv that sees this venv's dependencies
through a .pth file but not the editable install of clonelab: Python adds the directories a .pth
file names to sys.path without processing the .pth files inside them.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Generated or unrelated to the build: caches, builds, the venv, git.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".*_cache", "out", ".gl", ".whl")


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DISPLAY")}
    return subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the repository's sources (offline: setuptools >= 70.1 builds wheels
    without the `wheel` package, and torch's own requirement brings setuptools >= 77)."""
    work = tmp_path_factory.mktemp("wheel")
    sources = work / "src"
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--no-index", "-q", "-w", work / "dist", "."], cwd=sources)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (work / "dist").glob("clonelab-*.whl")
    return path


def test_wheel_holds_only_the_clonelab_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert "clonelab" in tops
    outside = [name for name in names if not name.startswith("clonelab/")
               and not fnmatch.fnmatch(name.split("/")[0], "clonelab-*.dist-info")]
    assert outside == []
    assert "clonelab/app/cli/__init__.py" in names
    assert "clonelab/models/training.py" in names
    assert "clonelab/recorder/dataset.py" in names


def test_wheel_installs_clonelab_and_its_command_alone(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=tmp_path).stdout.strip())
    # This venv's dependencies (torch, gymnasium, ...) without running its .pth files, so the
    # editable finder that maps clonelab to the repository stays out.
    (site / "test_venv_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
                      "--no-index", "-q", wheel], cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    for name in ("app", "models", "recorder"):
        result = _run([python, "-c", f"import {name}"], cwd=tmp_path)
        assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr, name
    found = _run([python, "-c", "import clonelab.app.cli as cli; print(cli.__file__)"],
                 cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(site / "clonelab"), found.stdout
    command = _run([venv / "bin" / "clonelab", "--help"], cwd=tmp_path)
    assert command.returncode == 0, command.stderr
    assert "usage: clonelab" in command.stdout
