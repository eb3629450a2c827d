"""The ``errorscape`` command."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def demo(steps: int) -> None:
    """Race the presets on the narrow valley and print where each ends: a first look at the engine."""
    import surfaces

    presets = list(surfaces.PRESETS)
    configs = [surfaces.preset(name) for name in presets]
    start = time.perf_counter()
    result = surfaces.simulate("narrow_valley", configs, starts={"grid": 8}, steps=steps, surface_params={"noise": 0.0})
    elapsed = time.perf_counter() - start
    s = result.starts.shape[0]
    print(f"narrow_valley (kappa = 100), {s} starts x {steps} steps, {len(configs)} optimizers in {elapsed:.2f} s")
    print(f"{'optimizer':<10} {'median loss':>12} {'best loss':>12} {'diverged':>9}")
    for c, name in enumerate(presets):
        final = result.loss[c, -1]
        finite = final[np.isfinite(final)]
        median = f"{np.median(finite):12.4g}" if finite.size else f"{'-':>12}"
        best = f"{finite.min():12.4g}" if finite.size else f"{'-':>12}"
        print(f"{name:<10} {median} {best} {int((result.diverged_at[c] >= 0).sum()):>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="errorscape", description="An interactive error-surface lab.")
    sub = parser.add_subparsers(dest="command")
    demo_parser = sub.add_parser("demo", help="run the optimizer presets on a surface and print a table")
    demo_parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    if args.command in (None, "demo"):
        steps = getattr(args, "steps", 300)
        if not 1 <= steps <= 100_000:
            parser.error("--steps must be between 1 and 100000")
        demo(steps)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
