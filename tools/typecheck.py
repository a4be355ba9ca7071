"""Type-check clonelab's recorder and models with mypy: `python tools/typecheck.py [mypy args]`.

mypy cannot follow setuptools' editable finder, and the package's folders (app/, models/,
recorder/) are not named clonelab/ on disk, so this links them under build/typecheck/clonelab/,
the `mypy_path` that pyproject's [tool.mypy] names, and runs mypy with those settings.
The test suite runs it (tests/test_architecture.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINKS = ROOT / "build" / "typecheck" / "clonelab"
FOLDERS = ("app", "models", "recorder")


def link_package() -> None:
    """Make build/typecheck/clonelab/<folder> point at each of the repository's folders."""
    LINKS.mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS:
        link = LINKS / folder
        if link.is_symlink() and link.resolve() == ROOT / folder:
            continue
        if link.is_symlink():
            link.unlink()
        link.symlink_to(ROOT / folder, target_is_directory=True)


def main(argv: list[str]) -> int:
    """Link the package and run mypy from the repository root; mypy's exit status."""
    link_package()
    return subprocess.run([sys.executable, "-m", "mypy", *argv], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
