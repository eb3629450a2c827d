"""optax's optimizers in the engine, three layouts of the same arithmetic.

    python -m bench.optax_forms                  # Lion and AdamW, 1,000 and 10,000 starts
    python -m bench.optax_forms --quick          # tiny sizes: check the script

* ``optax``: as optax keeps a run by itself, θ one vector of two per start and a step count
  in every start's state;
* ``count``: θ a vector, the step count the engine's step number (optax_rules.with_counts);
* ``lean``: the engine's form — also θ's coordinates as two parameters for the rules marked
  ``per_coordinate``.

Each form is forced in turn on the same runs, in one process, alternated round by round:
kernels per step (the optimised HLO), each form's best and median time, optax / lean, and
whether the three forms' results have the same bits.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools

import numpy as np

from bench.engine import alternated, comparison_row, machine
from bench.kernels import kernel_counts
from errorscape import surfaces
from errorscape.surfaces import kernels, optax_rules, rules

FORMS = ("optax", "count", "lean")
_RULES = dict(optax_rules.OPTAX_RULES)


def use(form: str) -> None:
    """Build optax programs in this form from now on (forgets what was compiled)."""
    for name, rule in _RULES.items():
        optax_rules.OPTAX_RULES[name] = dataclasses.replace(rule, per_coordinate=rule.per_coordinate and form == "lean")
    counted = form == "optax"
    rules.without_counts = (lambda state: state) if counted else optax_rules.without_counts
    rules.with_counts = (lambda state, count: state) if counted else optax_rules.with_counts
    kernels.clear_compiled()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    sizes, steps, rounds = ((64,), 50, 1) if args.quick else ((1_000, 10_000), 1_000, args.rounds)
    print(f"# {machine()}; {steps} steps on rosenbrock; times in ms, best and median of {rounds} rounds")
    header = ["job".ljust(30), *(f"k/{f}".rjust(10) for f in FORMS), *(f"{f} best   med".rjust(17) for f in FORMS)]
    print(" ".join([*header, "optax/lean   (med)", "same bits"]))
    try:
        for name, rate in (("lion", 0.001), ("adamw", 0.01)):
            spec = [{"optax": name, "hyper": {"learning_rate": rate}}]
            for form, run, program in (("full", surfaces.simulate, "chunk"), ("final", surfaces.simulate_final, "final")):
                for n in sizes:
                    starts = np.random.default_rng(0).uniform([-2, -1], [2, 3], size=(n, 2)).astype(np.float32)
                    counts = []
                    for f in FORMS:
                        use(f)
                        counts.append(kernel_counts(spec, n, False, program)[0])
                    times, results = alternated(FORMS, use, functools.partial(run, "rosenbrock", spec, starts, steps), rounds)
                    first = results[FORMS[0]]
                    same = all(
                        np.array_equal(getattr(first, a), getattr(results[f], a), equal_nan=True)
                        for f in FORMS[1:]
                        for a in ("positions", "diverged_at")
                    )
                    print(comparison_row(f"{name} {form} {n:,}", counts, [times[f] for f in FORMS], (0, 2), same), flush=True)
    finally:
        use("lean")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
