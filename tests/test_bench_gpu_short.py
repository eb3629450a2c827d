"""The short version of bench/gpu.py: every figure it reports is produced, on this machine's
backend, at tiny sizes (no verdict is given at those sizes)."""

from __future__ import annotations

import re

from bench import gpu
from errorscape.surfaces import kernels


def test_every_figure_is_reported_without_a_verdict_at_quick_sizes(capsys):
    threshold = kernels.GRADIENT_CARRIED_FROM
    assert gpu.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rates = [float(v) for v in re.findall(r"end points, \w+, [\d,]+ starts × \d+: ([\d.e+]+) pt-steps/s", out)]
    assert len(rates) == 2 and all(r > 0 for r in rates), out
    assert re.search(r"ceiling .*: [\d.e+]+ pt-steps/s", out), out
    assert len(re.findall(r"basin map 16² × 20, \w+: best [\d.]+ ms", out)) == 2, out
    assert out.count("quick sizes, no verdict") == 4, out
    forms = [line.split() for line in out.splitlines() if re.match(r"\w+:\w+:4096 ", line)]
    assert len(forms) == 2 and all(row[9] == "yes" for row in forms), out
    assert re.search(r"trainer, 4 networks × 20 steps: ours_s [\d.e+-]+", out), out
    assert kernels.GRADIENT_CARRIED_FROM == threshold
