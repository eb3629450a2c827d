"""examples/quickstart.ipynb runs from top to bottom in a fresh kernel, offline, and shows what
it says: the numbers it prints and the figures it draws."""

from __future__ import annotations

import json

import nbformat
from nbclient import NotebookClient

from tests.server_process import ROOT


def test_the_quickstart_notebook_runs_and_shows_its_figures(tmp_path):
    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    # Adam ends lower than plain gradient descent in the valley; the origin is a saddle.
    sgd, adam = (float(v) for v in text.split("mean final loss: sgd ")[1].split("\n")[0].split(", adam "))
    assert adam < sgd
    saddle = next(line for line in text.splitlines() if line.startswith("saddle"))
    assert saddle.split("[")[1].split("]")[0].split() == ["-2.", "2."]
    assert float(text.split("minimum ratio at the end points: ")[1].split()[0]) == 1.0
    figures = [o for o in outputs if o.output_type in ("display_data", "execute_result") and "application/vnd.plotly.v1+json" in o.data]
    assert len(figures) == 4
    for figure in figures:
        spec = figure.data["application/vnd.plotly.v1+json"]
        spec = json.loads(spec) if isinstance(spec, str) else spec
        assert spec["data"], "an empty figure"
    # No figure asks a CDN for Plotly.js.
    html = "".join(str(o.data.get("text/html", "")) for o in outputs if hasattr(o, "data"))
    assert "cdn.plot.ly" not in html
