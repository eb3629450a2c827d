"""``python -m errorscape.server``: start the web server (``errorscape serve``)."""

import sys

from errorscape.server.cli import main

sys.exit(main(["serve", *sys.argv[1:]]))
