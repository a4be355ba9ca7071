"""Watch a test's reads of recorded observations: count the rows each read takes at once, and
fail any read of a whole episode."""

from __future__ import annotations

import threading

import pytest

from clonelab.recorder import dataset_chunks


def count_row_reads(monkeypatch: pytest.MonkeyPatch, dataset: object, *,
                    main_thread_only: bool = False) -> list[int]:
    """The rows of each observation read from now on (only the main thread's when
    `main_thread_only`), in a list that fills as the test runs; `dataset` (a DemoDataset or
    its class) raises on `load_episode` and `transitions`."""
    reads: list[int] = []
    read_rows = dataset_chunks._observations

    def counted(location, info, group, space, start, stop):  # noqa: ANN001, ANN202
        if not main_thread_only or threading.current_thread() is threading.main_thread():
            reads.append(stop - start)
        return read_rows(location, info, group, space, start, stop)

    def whole(*_args: object) -> None:
        raise AssertionError("read a recorded episode whole")

    monkeypatch.setattr(dataset_chunks, "_observations", counted)
    monkeypatch.setattr(dataset, "load_episode", whole)
    monkeypatch.setattr(dataset, "transitions", whole)
    return reads
