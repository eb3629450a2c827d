"""Debian's chromium as the tests and bench/browser.py run it: never a downloaded browser, no
sandbox (root in a container), no GPU, and no traffic of its own."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
