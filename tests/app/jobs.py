"""Small jobs for the tests of the job engine (GeneratorWorker) and JobRunner."""

from __future__ import annotations

import threading


def counting(n: int):
    """A factory like train_bc: yields progress, returns a result."""

    def factory(cancel: threading.Event):
        def work():
            yield from range(n)
            return f"done after {n}"

        return work()

    return factory
