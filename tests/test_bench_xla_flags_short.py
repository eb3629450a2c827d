"""The short version of bench/xla_flags.py: the two workers answer every round of a job, and
a worker that XLA kills (here: a flag it does not know) is reported, not waited on."""

from __future__ import annotations

import math

from bench import xla_flags


def test_a_flag_is_compared_job_by_job(capsys):
    # A flag that only restates XLA's default: both sides run the same programs.
    assert xla_flags.main(["--flags=--xla_cpu_enable_fast_min_max=true", "--jobs", "adam:64:final", "sgd:64:full", "--rounds", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[:1] in (["adam:64:final"], ["sgd:64:full"])]
    assert [r[0] for r in rows] == ["adam:64:final", "sgd:64:full"]
    for r in rows:
        ratio = float(r[-1].rstrip("x"))
        assert math.isfinite(ratio) and ratio > 0, r


def test_a_worker_that_dies_is_reported_with_its_last_words(capsys):
    assert xla_flags.main(["--flags=--xla_no_such_flag=1", "--jobs", "adam:64:final", "--rounds", "1"]) == 1
    out = capsys.readouterr().out
    assert "the flags worker died" in out and "xla_no_such_flag" in out, out
