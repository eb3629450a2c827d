"""End points with the gradient carried from step to step, or recomputed in every kernel.

    python -m bench.final_forms                  # Adam and SGD, 1,000 to 262,144 starts
    python -m bench.final_forms --quick          # tiny sizes: check the script

The end-points program has two orders of the same arithmetic (errorscape.surfaces.kernels):
small runs recompute the gradient inside each kernel that needs it, large ones carry it
(``kernels.GRADIENT_CARRIED_FROM`` decides by size).  Here both are forced in turn on the
same runs, in one process, alternated round by round: kernels per step (the optimised HLO),
each form's best and median time, recomputed / carried, and whether the bits agree.  A job
``basin:<preset>:<surface>:<side>`` times the whole basin map (engine and classification).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.engine import alternated, comparison_row, machine
from bench.kernels import kernel_counts
from errorscape import surfaces
from errorscape.surfaces import basins, kernels

ENGINE_THRESHOLD = kernels.GRADIENT_CARRIED_FROM
FORMS = {"recomputed": 1 << 62, "carried": 0}


def use(form: str) -> None:
    """Build end-points programs in this form from now on (forgets what was compiled)."""
    kernels.GRADIENT_CARRIED_FROM = FORMS[form]
    kernels.clear_compiled()


def job(spec: str, steps: int) -> tuple[Callable[[], Any], str, str]:
    """The run to time, and the preset and surface whose step is counted."""
    kind, *rest = spec.split(":")
    if kind == "basin":
        preset, surface, side = rest
        return lambda: basins.basin_map(surface, surfaces.preset(preset), int(side), steps=steps), preset, surface
    preset, surface, size = kind, *rest
    points = surfaces.random_starts(surfaces.get_surface(surface), int(size), seed=0)
    return lambda: surfaces.simulate_final(surface, surfaces.preset(preset), points, steps), preset, surface


def fingerprint(result: Any) -> list[bytes]:
    fields = ("basin", "final_loss") if isinstance(result, basins.BasinMap) else ("positions", "loss", "grad_norm", "diverged_at")
    return [np.ascontiguousarray(getattr(result, f)).tobytes() for f in fields]


def measure(spec: str, steps: int, rounds: int) -> str:
    fn, preset, surface = job(spec, steps)
    counts: dict[str, int] = {}
    for form in FORMS:
        use(form)
        counts[form] = kernel_counts(preset, 1000, True, "final", surface)[0]
    times, results = alternated(list(FORMS), use, fn, rounds)
    same = fingerprint(results["recomputed"]) == fingerprint(results["carried"])
    return comparison_row(spec, (counts["recomputed"], counts["carried"]), (times["recomputed"], times["carried"]), (0, 1), same)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the script, not the machine")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--jobs", nargs="*", default=None, help="preset:surface:starts or basin:preset:surface:side")
    args = parser.parse_args(argv)
    jobs = args.jobs or (
        ["adam:rosenbrock:64", "basin:sgd:himmelblau:8"]
        if args.quick
        else [
            f"{preset}:{surface}:{n}"
            for surface in ("rosenbrock", "himmelblau")
            for preset in ("adam", "sgd")
            for n in (1000, 10000, 32768, 100000, 262144)
        ]
        + ["basin:adam:himmelblau:512", "basin:sgd:himmelblau:512"]
    )
    steps = 20 if args.quick else args.steps
    rounds = 2 if args.quick else args.rounds
    print(f"machine: {machine()}")
    print(f"{steps} steps; best and median of {rounds} alternated rounds, each the best of 3 runs")
    print(f"engine: carried from {ENGINE_THRESHOLD:,} points (padded starts × configurations)")
    print(f"{'':<30} {'kernels / step':^21} {'recomputed (ms)':^17} {'carried (ms)':^17} {'recomputed / carried':^16}")
    print(
        f"{'job':<30} {'recomputed':>10} {'carried':>10} {'best':>8} {'median':>8} {'best':>8} {'median':>8} "
        f"{'best':>8} {'median':>7} {'same bits':>9}"
    )
    try:
        for spec in jobs:
            print(measure(spec, steps, rounds), flush=True)
    finally:
        kernels.GRADIENT_CARRIED_FROM = ENGINE_THRESHOLD  # whatever happened, the engine's own choice
        kernels.clear_compiled()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
