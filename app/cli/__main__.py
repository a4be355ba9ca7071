"""`python -m clonelab.app.cli`: the same as the `clonelab` command."""

import logging
import os
import sys

from clonelab.app.cli import main

status = main()
if int(os.environ.get("WORLD_SIZE", "1") or "1") > 1:
    # A training process of a multi-process run (torchrun sets WORLD_SIZE) leaves without the
    # C++ teardown: at about 1 run in 10 of 2 processes on the CPU, a thread left behind made
    # the exiting rank abort after its work was done ("terminate called without an active
    # exception", no Python frame on the stack). Its output and logs are flushed first.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
sys.exit(status)
