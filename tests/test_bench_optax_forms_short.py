"""The short version of bench/optax_forms.py: optax's layout and the engine's built in one
process, timed in turn, with the same bits and fewer kernels a step for the engine's."""

from __future__ import annotations

from bench import optax_forms
from errorscape.surfaces import optax_rules, rules


def test_every_form_runs_and_the_engines_runs_fewer_kernels_for_the_same_bits(capsys):
    marked = {name: rule.per_coordinate for name, rule in optax_rules.OPTAX_RULES.items()}
    assert optax_forms.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["lion"], ["adamw"])]
    assert len(rows) == 4
    for row in rows:
        optax_kernels, count_kernels, lean_kernels = (int(v) for v in row[3:6])
        # Every form without a count per start runs fewer kernels; AdamW's coordinates as two
        # parameters fewer still (Lion's then copy its state arrays: bench/RESULTS.md).
        assert 0 < count_kernels < optax_kernels, row
        if row[0] == "adamw":
            assert lean_kernels < count_kernels, row
        assert all(float(v) > 0 for v in row[6:14]), row
        assert row[14] == "yes", row
    # The bench leaves the engine's own form in place.
    assert {name: rule.per_coordinate for name, rule in optax_rules.OPTAX_RULES.items()} == marked
    assert rules.with_counts is optax_rules.with_counts and rules.without_counts is optax_rules.without_counts
