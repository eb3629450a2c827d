"""Where the browser app's files are: inside the installed ``errorscape`` package (the
checkout's ``static/`` folder, linked as ``errorscape/static``, when running from source)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import plotly


def static_dir() -> Path:
    # The page files are package data: found wherever the package is installed (a venv, --user,
    # --target, a container), never by guessing an installation prefix.
    path = Path(str(resources.files("errorscape") / "static"))
    if not (path / "index.html").is_file():
        raise FileNotFoundError(f"the browser app's static files are missing from {path}")
    return path


def plotly_js() -> Path:
    """Plotly.js from the installed plotly package: the app loads nothing from other hosts."""
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError("plotly.min.js is missing from the installed plotly package")
    return path
