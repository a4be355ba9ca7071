"""Errors of the dataset layer: one line that names the file and the problem."""

from __future__ import annotations

import os


class DatasetError(Exception):
    """A dataset could not be read or written; the message is one line: ``<path>: <problem>``."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = os.fspath(path)
        self.problem = " ".join(str(problem).split())  # keep it on one line
        super().__init__(f"{self.path}: {self.problem}")


def one_line(exc: BaseException) -> str:
    """An exception as one line: its class and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def describe(exc: BaseException) -> str:
    """A short one-line account of a low-level error (h5py's messages run long)."""
    if isinstance(exc, FileNotFoundError):
        return "the file is missing"
    if isinstance(exc, PermissionError):
        return "permission denied"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
