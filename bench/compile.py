"""Compile time of the engine's programs, one by one, and what XLA's compile options take off it.

    python -m bench.compile                 # Adam on Rosenbrock, 1,000 starts, median of 3
    python -m bench.compile --quick         # tiny sizes, one compile each: check the script

Every figure is a fresh compile: each measurement lowers its program anew (a lowered program
compiles once per process otherwise) with JAX's persistent cache off, and reports the median
of ``--repeat``.  The floor is a one-line program: what any compile costs.

Variants are XLA options one compile accepts (``DebugOptions`` fields) that make the compiler
do less.  A variant's program runs on the same inputs as the default's, must give the same
bits (the AVX cap makes every element-wise operation one IEEE rounding, so code generation
must not show in the results), and its run time is given as a ratio to the default's:
compile time bought with run time is no gain for a program that runs thousands of steps.

Where the time goes inside one compile is not visible from Python; on Linux,
``perf record -g -p <pid>`` around the compiles shows it (bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from bench.kernels import lowered_program, step_kernels

# name -> compile options; every one a DebugOptions field a single compile may set.
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "LLVM -O1": {"xla_backend_optimization_level": 1},
    "LLVM -O0": {"xla_backend_optimization_level": 0},
    "no expensive LLVM passes": {"xla_llvm_disable_expensive_passes": True},
    "no MLIR fusion emitters": {"xla_cpu_use_fusion_emitters": False},
    "one LLVM module": {"xla_cpu_parallel_codegen_split_count": 1},
}
PROGRAMS = [("init", False), ("chunk", False), ("chunk", True), ("final", False), ("final", True)]


def fresh_compile(lower: Callable[[], Any], options: dict[str, Any]) -> tuple[float, Any]:
    # jit keeps what it lowered and compiled, by the function and its arguments' shapes: without
    # clearing, every compile after the first would be a cache lookup.
    jax.clear_caches()
    lowered = lower()
    start = time.perf_counter()
    compiled = lowered.compile(options) if options else lowered.compile()
    return time.perf_counter() - start, compiled


def run_time(compiled: Any, args: tuple, repeat: int) -> tuple[float, list[np.ndarray]]:
    """Best time of ``repeat`` runs (inputs copied each time: the programs donate them) and the outputs."""
    best, out = float("inf"), None
    for _ in range(repeat):
        fresh = jax.tree.map(np.array, args)
        start = time.perf_counter()
        out = jax.block_until_ready(compiled(*fresh))
        best = min(best, time.perf_counter() - start)
    return best, [np.asarray(x) for x in jax.tree.leaves(out)]


def floor(repeat: int) -> float:
    def lower() -> Any:
        return jax.jit(lambda x: x * 2.0 + 1.0).lower(np.ones(8, np.float32))

    return statistics.median(fresh_compile(lower, {})[0] for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one compile each: check the script, not the machine")
    parser.add_argument("--preset", default="adam")
    parser.add_argument("--starts", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None, help="compiles per figure (default 3; 1 with --quick)")
    parser.add_argument("--variants", nargs="*", default=None, help=f"of: {', '.join(VARIANTS)}")
    args = parser.parse_args(argv)
    starts = args.starts or (64 if args.quick else 1_000)
    repeat = args.repeat or (1 if args.quick else 3)
    variants = {name: VARIANTS[name] for name in (args.variants or VARIANTS)}
    if "default" not in variants:
        variants = {"default": {}, **variants}
    jax.config.update("jax_enable_compilation_cache", False)

    device = jax.devices()[0].platform
    print(f"{args.preset} on rosenbrock, {starts} starts, JAX {jax.__version__}, {device}; median of {repeat} fresh compiles")
    print(f"floor (a one-line program): {floor(max(repeat, 3)) * 1e3:.0f} ms")
    print(f"{'program':<20} {'kernels/step':>12} {'variant':<26} {'compile ms':>10} {'run ms':>8} {'run / default':>13} {'same bits':>9}")
    for program, specialise in PROGRAMS:
        name = f"{program} {'specialised' if specialise else 'general'}"

        def lower(program: str = program, specialise: bool = specialise) -> Any:
            return lowered_program(args.preset, starts, specialise, program)[0]

        _, inputs = lowered_program(args.preset, starts, specialise, program)
        base: tuple[float, list[np.ndarray]] | None = None
        for variant, options in variants.items():
            times: list[float] = []
            compiled: Any = None
            for _ in range(repeat):
                t, compiled = fresh_compile(lower, options)
                times.append(t)
            kernels = step_kernels(compiled.as_text()).total() if program != "init" else 0
            took, out = run_time(compiled, inputs, max(repeat, 3))
            base = base or (took, out)
            base_run, base_out = base
            same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(base_out, out, strict=True))
            print(
                f"{name:<20} {kernels:>12} {variant:<26} {statistics.median(times) * 1e3:>10.0f} "
                f"{took * 1e3:>8.2f} {took / base_run:>13.2f} {'yes' if same else 'NO':>9}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
