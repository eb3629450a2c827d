"""Where the browser app's files are: the checkout's static/ folder when running from source
(editable installs), else the copy installed under <prefix>/share/errorscape/static."""

from __future__ import annotations

import sys
from pathlib import Path

import plotly


def static_dir() -> Path:
    for candidate in (Path(__file__).resolve().parent.parent / "static", Path(sys.prefix) / "share" / "errorscape" / "static"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("the browser app's static files are not installed")


def plotly_js() -> Path:
    """Plotly.js from the installed plotly package: the app loads nothing from other hosts."""
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError("plotly.min.js is missing from the installed plotly package")
    return path
