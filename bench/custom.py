"""Typed formulas and optax's optimizers: what they cost, as ratios against baselines run in
the same process.

    python -m bench.custom            # 1k and 10k starts × 1,000 steps, 200-formula flood
    python -m bench.custom --quick    # tiny sizes, to check the script itself runs

* formula vs built-in: Rosenbrock typed as a formula against the registered Rosenbrock, Adam,
  full trajectories (ratio ≈ 1 means typing a surface costs nothing once compiled);
* first use of a new formula: grid + a 1,000 × 300 run, compile included, against the same
  calls once compiled;
* optax in the engine against a bare optax scan (jit of lax.scan over vmap of
  ``optax.lion`` / ``optax.adamw`` on the same gradients), full trajectories against the scan
  keeping every position and end points against the scan keeping only the last: the cost of
  the engine's generality (divergence tracking, loss and gradient-norm records);
* a flood of distinct formulas: resident memory after each hundred (bounded caches).
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import platform
import resource
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bench.engine import best_times
from errorscape import surfaces
from errorscape.surfaces.critical import analyze
from errorscape.surfaces.custom import custom_surface
from errorscape.surfaces.grid import loss_grid

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def starts_for(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform([-2, -1], [2, 3], size=(n, 2)).astype(np.float32)


def rosen(theta: jax.Array) -> jax.Array:
    x, y = theta[0], theta[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def optax_baseline(tx: optax.GradientTransformation, steps: int, path: bool = True):
    """A bare optax scan: every step's positions (``path``) or the end points only."""

    @jax.jit
    def run(starts: jax.Array) -> jax.Array:
        def step(carry, _):
            theta, state = carry
            grads = jax.vmap(jax.grad(rosen))(theta)
            updates, state = jax.vmap(tx.update)(grads, state, theta)
            theta = theta + updates
            return (theta, state), (theta if path else None)

        (end, _), positions = jax.lax.scan(step, (starts, jax.vmap(tx.init)(starts)), None, length=steps)
        return positions if path else end

    return lambda starts: jax.block_until_ready(run(starts))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [100] if args.quick else [1_000, 10_000]
    steps = 100 if args.quick else 1_000
    flood = 20 if args.quick else 200
    print(f"# {platform.machine()}, {os.cpu_count()} cores, JAX {jax.__version__} {jax.default_backend()}, optax {optax.__version__}")

    typed = custom_surface(ROSENBROCK, [[-2, 2], [-1, 3]])
    print("\n## Formula against the built-in surface (Adam, full trajectories)")
    print("| starts | built-in pt-steps/s | formula pt-steps/s | formula / built-in |")
    print("|---:|---:|---:|---:|")
    for n in sizes:
        pts = starts_for(n)
        fb, ff = best_times(
            [
                functools.partial(surfaces.simulate, "rosenbrock", "adam", pts, steps),
                functools.partial(surfaces.simulate, typed, "adam", pts, steps),
            ],
            args.repeat,
        )
        print(f"| {n:,} | {n * steps / fb:.3g} | {n * steps / ff:.3g} | {fb / ff:.2f} |")

    print("\n## First use of a new formula (grid 121² + run 1,000 × 300, Adam)")
    first: list[float] = []
    again: list[float] = []
    for i in range(3):
        fresh = custom_surface(f"x^2 + {i + 2}*y^2 + 0.3*sin(5*x) + 0.01*x*y", [[-3, 3], [-3, 3]])
        for out in (first, again):
            t0 = time.perf_counter()
            loss_grid(fresh, 121)
            surfaces.simulate(fresh, "adam", {"random": 1000}, 300)
            out.append(time.perf_counter() - t0)
    print(f"first use (compile included): median {1000 * np.median(first):.0f} ms; compiled: median {1000 * np.median(again):.1f} ms")

    print("\n## optax in the engine against a bare optax scan")
    print("full: the scan keeps every step's positions, the engine its trajectories (positions, loss, gradient norm);")
    print("final: the scan keeps the end points, the engine runs simulate_final (end points, divergence step).")
    print("| optimizer | form | starts | optax scan pt-steps/s | engine pt-steps/s | engine / scan |")
    print("|---|---|---:|---:|---:|---:|")
    for name, tx, spec in [
        ("lion", optax.lion(0.001), {"optax": "lion", "hyper": {"learning_rate": 0.001}}),
        ("adamw", optax.adamw(0.01), {"optax": "adamw", "hyper": {"learning_rate": 0.01}}),
    ]:
        for form, engine in (("full", surfaces.simulate), ("final", surfaces.simulate_final)):
            base = optax_baseline(tx, steps, path=form == "full")
            for n in sizes:
                pts = starts_for(n)
                fl, fe = best_times(
                    [functools.partial(base, jnp.asarray(pts)), functools.partial(engine, "rosenbrock", [spec], pts, steps)],
                    args.repeat,
                )
                print(f"| {name} | {form} | {n:,} | {n * steps / fl:.3g} | {n * steps / fe:.3g} | {fl / fe:.2f} |")

    print(f"\n## A flood of {flood} distinct formulas (grid 64², run 64 × 100, one analysis each)")
    gc.collect()
    marks = [("before", rss_mb())]
    for i in range(flood):
        flood_surface = custom_surface(f"x^2 + {i + 1}*y^2 + 0.1*x*y")
        loss_grid(flood_surface, 64)
        surfaces.simulate(flood_surface, "sgd", {"random": 64}, 100)
        analyze(flood_surface, [0.0, 0.0])
        if (i + 1) % max(1, flood // 4) == 0:
            gc.collect()
            marks.append((f"after {i + 1}", rss_mb()))
    print(" · ".join(f"{label}: {mb:.0f} MB" for label, mb in marks))


if __name__ == "__main__":
    main()
