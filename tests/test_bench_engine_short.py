"""The short version of bench/engine.py and bench/kernels.py: tiny sizes, every figure printed
and finite, the ceiling with records the same trajectories as the NumPy loop, and what the
kernel counts say about the two kinds of program."""

from __future__ import annotations

import math

import numpy as np

from bench import engine as bench_engine
from bench import kernels as bench_kernels
from bench import optax_forms
from errorscape import surfaces
from errorscape.surfaces.engine import RunSpec, prepare


def test_the_bench_runs_and_reports_every_figure(capsys):
    assert bench_engine.main(["--quick", "--repeat", "1"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[:1] in (["64"], ["256"])]
    assert [r[1] for r in rows] == ["full", "final", "full", "final"]
    for r in rows:
        numbers = [float(v.rstrip("%")) for v in r[2:7] if v.rstrip("%").replace(".", "").replace("e+", "").isdigit()]
        assert len(numbers) >= 4 and all(math.isfinite(v) and v > 0 for v in numbers), r


def test_the_ceiling_with_records_keeps_the_trajectories_numpy_computes():
    starts = surfaces.random_starts(surfaces.get_surface("rosenbrock"), 16, seed=0)
    got = bench_engine.ceiling_with_records(starts, 130)
    theta = bench_engine.numpy_adam(starts, 130, record=False)
    np.testing.assert_allclose(got[-1], theta, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[0], starts)


def test_specialised_programs_run_fewer_kernels_per_step_and_end_points_fewer_than_trajectories():
    counts = {(p, s): bench_kernels.kernel_counts("sgd", 64, s, p)[0] for p in ("chunk", "final") for s in (False, True)}
    assert counts["chunk", True] < counts["chunk", False]
    assert counts["final", True] < counts["final", False]
    assert counts["final", True] < counts["chunk", True]


def test_the_general_program_updates_the_optimizer_state_in_place():
    # Adam's specialised step computes the same state arrays as the general one; the general
    # one computes every branch inside the same kernels.  Its m and σ read the new trace and ν
    # (optimizer.apply), so no kernel reads an old state array after its update and XLA copies
    # none of them: as many kernels and copies per step as the specialised program.
    for program in ("chunk", "final"):
        general = bench_kernels.kernel_counts("adam", 64, False, program)[1]
        specialised = bench_kernels.kernel_counts("adam", 64, True, program)[1]
        assert general["copy"] == specialised["copy"], (program, dict(general), dict(specialised))
        assert general.total() == specialised.total(), (program, dict(general), dict(specialised))


def test_no_surface_step_runs_a_matrix_product_and_a_whole_batch_racer_pads_nothing():
    # A dot under the engine's vmap is a library call that nothing fuses with (on sharp_flat it
    # made a step 8× slower); the step loops of every built-in surface, full batch and
    # minibatch, trajectories and end points, have none.
    for name in surfaces.surface_names():
        n = surfaces.get_surface(name).data().train.shape[0]
        runs = [("sgd", None)] if n == 1 else [("sgd", None), (["sgd", "sgd"], [1, n])]
        for optimizers, batch in runs:
            for program in ("chunk", "final"):
                _, ops = bench_kernels.kernel_counts(optimizers, 8, False, program, surface=name, batch_size=batch)
                assert ops["dot"] == 0 and ops["custom-call"] == 0, (name, batch, program, dict(ops))
    # Racing a whole-batch configuration against batch size 1 pads the minibatch to one
    # example, as batch size 1 alone does (the whole batch takes the full-batch gradient).
    raced = prepare(RunSpec("sharp_flat", ["sgd", "sgd"], {"random": 8}, 10, batch_size=[1, 64]))
    assert raced.groups[0].kernel_key.batch_pad == 1


def test_an_optax_step_carries_no_count_and_no_vector_per_start():
    # AdamW in the engine: its step count is the engine's step number and its state arrays
    # are [C, S] rows like θ's, so a step runs fewer kernels than optax's own layout (a count
    # per start, θ and the gradient stacked into a vector every step and the update sliced out).
    lean = {p: bench_kernels.kernel_counts([{"optax": "adamw"}], 64, False, p)[0] for p in ("chunk", "final")}
    try:
        optax_forms.use("optax")
        as_optax = {p: bench_kernels.kernel_counts([{"optax": "adamw"}], 64, False, p)[0] for p in ("chunk", "final")}
    finally:
        optax_forms.use("lean")
    for program in ("chunk", "final"):
        assert lean[program] < as_optax[program], (program, lean, as_optax)
