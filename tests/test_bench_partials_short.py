"""The short version of bench/partials.py: both forms of the partial derivatives built in one
process, timed in turn, and found to give the same bits with less arithmetic for the engine's."""

from __future__ import annotations

from bench import partials
from errorscape.surfaces import kernels


def test_both_forms_run_and_the_engines_does_less_arithmetic_for_the_same_bits(capsys):
    assert partials.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] and line.split()[0].count(":") == 3]
    assert len(rows) == 2
    for row in rows:
        engine_ops, textbook_ops = int(row[1]), int(row[2])
        assert 0 < engine_ops < textbook_ops, row
        assert all(float(v) > 0 for v in row[3:9]), row
        assert row[9] == "yes", row
    # The bench leaves the engine's own form in place.
    assert kernels.value_and_partials is partials.FORMS["engine"]
