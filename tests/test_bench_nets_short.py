"""The short version of bench/nets.py: tiny sizes, and the trainer it times is the training the
baseline does (the bench checks that before it times anything)."""

from __future__ import annotations

import math

from bench import nets as bench_nets


def test_the_bench_runs_and_reports_every_figure(capsys):
    assert bench_nets.main(["--quick", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for figure in ("trainer", "plane", "full Hessian"):
        line = next(x for x in out.splitlines() if x.startswith(figure))
        values = [float(v.split()[-1]) for v in line.split(": ", 1)[1].split(", ")]
        assert values and all(math.isfinite(v) and v > 0 for v in values), line
