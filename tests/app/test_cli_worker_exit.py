"""A training process of a multi-process run (WORLD_SIZE > 1) leaves without the interpreter's
teardown, where a C++ thread left behind sometimes aborted it after its work was done; its
output and its exit status still come out whole. A plain run exits as usual."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

RUN = ("import atexit, runpy, sys; atexit.register(lambda: print('teardown ran'));"
       " sys.argv = ['clonelab', 'info', '/nonexistent'];"
       " runpy.run_module('clonelab.app.cli', run_name='__main__')")


@pytest.mark.parametrize(("world_size", "teardown"), [("2", False), ("1", True)])
def test_a_worker_skips_the_teardown_and_keeps_its_output(world_size: str,
                                                          teardown: bool) -> None:
    done = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True,
                          env={**os.environ, "WORLD_SIZE": world_size}, timeout=60,
                          check=False)
    assert done.returncode == 1
    assert "clonelab info: error: /nonexistent: no such file or directory" in done.stderr
    assert ("teardown ran" in done.stdout) is teardown
