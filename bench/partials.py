"""The engine's partial derivatives by coordinate against the textbook form, run by run.

    python -m bench.partials                       # Adam and SGD on Rosenbrock and Himmelblau
    taskset -c 0 python -m bench.partials          # one core: the arithmetic alone shows
    python -m bench.partials --quick               # tiny sizes: check the script

The textbook form differentiates θ ↦ f(θ) with the tangents (1, 0) and (0, 1) and carries the
zero through every operation; the engine's (errorscape.surfaces.partials) differentiates along
one coordinate with the other held fixed.  Both programs are built in this process (the
textbook one by handing the kernel builder that form) and the runs alternate round by round,
so a noisy moment falls on both.  Shown per job: the arithmetic operations in the step loop's
kernels (the optimised HLO), each form's best and median time, textbook / engine, and whether
the two gave the same bits.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from bench.engine import alternated, comparison_row, machine
from bench.kernels import computations, lowered_program, opcode, while_bodies
from errorscape import surfaces
from errorscape.surfaces import kernels

# Instructions inside a fused computation that compute: what a step does per point.
ARITHMETIC = {
    "abs", "add", "and", "compare", "cosine", "divide", "exponential", "is-finite", "log", "maximum", "minimum",
    "multiply", "negate", "not", "or", "power", "rsqrt", "select", "sine", "sqrt", "subtract", "tanh",
}  # fmt: skip


def textbook_value_and_partials(fn: Callable[..., jax.Array]) -> Callable[..., Any]:
    """One JVP of θ ↦ f(θ) per unit tangent of the stacked vector."""

    def vg(x: jax.Array, y: jax.Array, *rest: Any) -> Any:
        f = lambda a, b: fn(jnp.stack([a, b]), *rest)  # noqa: E731
        one, zero = jnp.ones_like(x), jnp.zeros_like(x)
        value, gx = jax.jvp(f, (x, y), (one, zero))
        _, gy = jax.jvp(f, (x, y), (zero, one))
        return value, (gx, gy)

    return vg


FORMS = {"engine": kernels.value_and_partials, "textbook": textbook_value_and_partials}


def use(form: str) -> None:
    """Build programs with this form of the partials from now on (forgets what was compiled)."""
    kernels.value_and_partials = FORMS[form]
    kernels.clear_compiled()


def step_arithmetic(compiled_text: str) -> int:
    """Arithmetic instructions in the fused computations the step loop's kernels call."""
    comps = computations(compiled_text)
    body = max(while_bodies(compiled_text), key=lambda c: len(comps[c]))  # the step loop: the largest
    called = [m.group(1) for line in comps[body] if (m := re.search(r"calls=%?([\w.\-]+)", line))]
    return sum(opcode(line) in ARITHMETIC for name in called for line in comps.get(name, []))


def arithmetic_per_step(preset: str, surface: str, program: str) -> int:
    lowered, _ = lowered_program(preset, 1000, True, program, surface)
    return step_arithmetic(lowered.compile().as_text())


def run_job(preset: str, surface: str, starts: int, form: str, steps: int) -> Callable[[], Any]:
    points = surfaces.random_starts(surfaces.get_surface(surface), starts, seed=0)
    optimizer = surfaces.preset(preset)
    if form == "final":
        return lambda: surfaces.simulate_final(surface, optimizer, points, steps)
    return lambda: surfaces.simulate(surface, optimizer, points, steps)


def same_bits(a: Any, b: Any) -> bool:
    fields = ("positions", "loss", "grad_norm", "diverged_at")
    return all(np.array_equal(np.asarray(getattr(a, f)).view(np.uint8), np.asarray(getattr(b, f)).view(np.uint8)) for f in fields)


def measure(spec: str, steps: int, rounds: int) -> str:
    """One job's row: both forms' arithmetic per step, times, ratios and whether the bits agree."""
    preset, surface, size, form = spec.split(":")
    program = "final" if form == "final" else "chunk"
    fn = run_job(preset, surface, int(size), form, steps)
    ops: dict[str, int] = {}
    for form_name in FORMS:
        use(form_name)
        ops[form_name] = arithmetic_per_step(preset, surface, program)
    times, results = alternated(list(FORMS), use, fn, rounds)
    same = same_bits(results["textbook"], results["engine"])
    # engine first, then textbook; the ratio is textbook / engine
    return comparison_row(spec, (ops["engine"], ops["textbook"]), (times["engine"], times["textbook"]), (1, 0), same)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the script, not the machine")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--jobs", nargs="*", default=None, help="preset:surface:starts:form, e.g. adam:rosenbrock:10000:final")
    args = parser.parse_args(argv)
    jobs = args.jobs or (
        ["adam:rosenbrock:64:final", "sgd:himmelblau:64:full"]
        if args.quick
        else [
            "adam:rosenbrock:1000:final",
            "adam:rosenbrock:10000:final",
            "adam:rosenbrock:100000:final",
            "adam:rosenbrock:1000:full",
            "adam:himmelblau:10000:final",
            "sgd:rosenbrock:10000:final",
        ]
    )
    steps = 20 if args.quick else 1000
    rounds = 2 if args.quick else args.rounds
    print(f"machine: {machine()}")
    print(f"{steps} steps; best and median of {rounds} alternated rounds, each the best of 3 runs")
    print(f"{'':<30} {'ops per step':^21} {'engine (ms)':^17} {'textbook (ms)':^17} {'textbook / engine':^16}")
    print(
        f"{'job':<30} {'engine':>10} {'textbook':>10} {'best':>8} {'median':>8} {'best':>8} {'median':>8} "
        f"{'best':>8} {'median':>7} {'same bits':>9}"
    )
    try:
        for spec in jobs:
            print(measure(spec, steps, rounds))
    finally:
        use("engine")  # whatever happened, the process goes on with the engine's own form
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
