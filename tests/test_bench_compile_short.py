"""The short version of bench/compile.py: every program compiled fresh under the default and a
variant, each figure printed, and the variant's program giving the default's bits."""

from __future__ import annotations

from bench import compile as bench_compile


def test_every_program_and_variant_is_reported_with_the_default_bits(capsys):
    # Two compiles a figure: the second must compile again, not find the first in a cache.
    # SGD: with its modes fixed the step computes no σ and no trace (Adam's general step now
    # runs as many kernels as its specialised one, see test_bench_engine_short).
    assert bench_compile.main(["--quick", "--preset", "sgd", "--repeat", "2", "--variants", "LLVM -O0"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.split()[:1] in (["init"], ["chunk"], ["final"])]
    assert len(rows) == len(bench_compile.PROGRAMS) * 2  # the default and the variant asked for
    for row in rows:
        *_, compile_ms, run_ms, ratio, same = row.split()
        assert float(compile_ms) > 0 and float(run_ms) > 0 and float(ratio) > 0, row
        assert same == "yes", row
    # The step loops' kernels: fewer when the modes are fixed, fewer for end points.
    kernels = {" ".join(r.split()[:2]): int(r.split()[2]) for r in rows}
    assert kernels["chunk specialised"] < kernels["chunk general"]
    assert kernels["final specialised"] < kernels["final general"] < kernels["chunk general"]
    floor_ms = float(out.split("floor (a one-line program): ")[1].split()[0])
    assert 0 < floor_ms < min(float(r.split()[-4]) for r in rows if r.split()[0] == "chunk")
