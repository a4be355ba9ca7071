"""`python -m clonelab.app.cli`: the same as the `clonelab` command."""

import sys

from clonelab.app.cli import main

sys.exit(main())
