"""The engine's figures on an accelerator, in one short run (the device time a session is
lent is minutes: everything it needs measured in one command).

    python -m bench.gpu              # 1M starts end points, the 512² basin map, both end-point forms, the trainer
    python -m bench.gpu --quick      # tiny sizes on any backend: check the script

Figures, each the best (and median) of ``--repeat`` runs after a warm one, against targets:
* end points only, Adam and SGD on Rosenbrock, 2²⁰ starts × 1,000 steps: point-steps/s
  (target ≥ 1e11), and the hand-written jitted Adam loop (bench.engine's ceiling) on the same
  starts, run in turn with the engine;
* the basin map, Himmelblau 512² × 500 steps, Adam and SGD: seconds (target ≤ 20 ms);
* the end-points program's two forms (bench.final_forms) at 2²⁰ starts: which one the
  accelerator prefers (the threshold between them was set on a CPU);
* the network trainer (bench.nets): 64 networks × 2,000 steps against a loop of optax scans.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from bench import final_forms
from bench.engine import xla_ceiling
from bench.nets import bench_trainer
from errorscape import surfaces
from errorscape.surfaces import basins

END_POINTS_TARGET = 1e11  # point-steps/s, end points only, 1M starts
BASIN_TARGET_S = 0.020  # a 512² basin map × 500 steps


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best and median seconds of ``repeat`` runs after a warm one (compiles)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # the engine's entry points return host arrays: done when they return
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def verdict(met: bool, quick: bool) -> str:
    return "quick sizes, no verdict" if quick else ("met" if met else "not met")


def end_points(starts: int, steps: int, repeat: int, quick: bool) -> None:
    points = surfaces.random_starts(surfaces.get_surface("rosenbrock"), starts, seed=0)
    device_points = jnp.asarray(points)
    best, med = timed(lambda: jax.block_until_ready(xla_ceiling(device_points, jnp.int32(steps))), repeat)
    print(f"ceiling (hand-written Adam loop), {starts:,} starts × {steps}: {starts * steps / best:.3g} pt-steps/s ({best * 1e3:.1f} ms)")
    for preset in ("adam", "sgd"):
        optimizer = surfaces.preset(preset)
        best, med = timed(functools.partial(surfaces.simulate_final, "rosenbrock", optimizer, points, steps), repeat)
        rate = starts * steps / best
        print(
            f"end points, {preset}, {starts:,} starts × {steps}: {rate:.3g} pt-steps/s (best {best * 1e3:.1f} ms, "
            f"median {med * 1e3:.1f} ms; target ≥ {END_POINTS_TARGET:.0e}: {verdict(rate >= END_POINTS_TARGET, quick)})"
        )


def basin(side: int, steps: int, repeat: int, quick: bool) -> None:
    for preset in ("adam", "sgd"):
        optimizer = surfaces.preset(preset)
        best, med = timed(functools.partial(basins.basin_map, "himmelblau", optimizer, side, steps=steps), repeat)
        print(
            f"basin map {side}² × {steps}, {preset}: best {best * 1e3:.1f} ms, median {med * 1e3:.1f} ms "
            f"(target ≤ {BASIN_TARGET_S * 1e3:.0f} ms: {verdict(best <= BASIN_TARGET_S, quick)})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the script, not the machine")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    starts, steps, side, basin_steps = (4096, 50, 16, 20) if args.quick else (1 << 20, 1000, 512, 500)
    networks, net_steps = (4, 20) if args.quick else (64, 2000)
    repeat = 2 if args.quick else args.repeat
    device = jax.devices()[0]
    print(f"device: {device.platform} {device.device_kind} × {len(jax.devices())}; JAX {jax.__version__}")
    start = time.perf_counter()
    end_points(starts, steps, repeat, args.quick)
    basin(side, basin_steps, repeat, args.quick)
    print("end-points forms (bench.final_forms):")
    final_forms.main(["--steps", str(steps), "--rounds", "2", "--jobs", f"adam:rosenbrock:{starts}", f"sgd:himmelblau:{starts}"])
    trainer = bench_trainer(networks, net_steps, 1 if args.quick else 3)
    print(f"trainer, {networks} networks × {net_steps} steps: " + ", ".join(f"{k} {v:.4g}" for k, v in trainer.items()))
    print(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
