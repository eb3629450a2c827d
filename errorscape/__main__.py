"""``python -m errorscape serve``: the same command line as ``errorscape``."""

import sys

from errorscape.server.cli import main

sys.exit(main())
