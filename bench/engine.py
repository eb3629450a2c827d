"""Engine throughput, as ratios against baselines measured in the same run.

    python -m bench.engine            # 1k, 10k, 100k starts × 1,000 steps
    python -m bench.engine --quick    # tiny sizes, to check the script itself runs

Workload: Adam (the preset, lr 0.01) on Rosenbrock, full batch, one configuration.
Baselines:
* NumPy — the same Adam on the same surface, vectorised over starts, writing the same
  trajectory arrays (full) or only the state (final-only);
* XLA element-wise ceiling — the same arithmetic as one hand-written jitted loop over an
  [S, 2] array: no toggles, no divergence tracking, no vmap.  What the engine's generality
  costs is the gap to it;
* ceiling + records (full form) — the ceiling made to write every step's positions, loss and
  gradient norm and hand them to the host in chunks, as the engine does.
The engine runs as a notebook calls it: ``simulate`` on the general program below
``SPECIALISED_FROM_STARTS`` starts and the specialised one from there, ``simulate_final`` on the specialised one; the final-only
row also gives the general program (the page's) for comparison.
A figure is the best of ``--repeat`` runs after a warm-up run (which also pays first-touch
memory costs), in point-steps per second (starts × steps / seconds).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from errorscape import surfaces
from errorscape.surfaces import engine as engine_module
from errorscape.surfaces.kernels import CHUNK_STEPS, bucket

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8


def best_time(fn: Callable[[], object], repeat: int) -> float:
    return best_times([fn], repeat)[0]


def best_times(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best wall time of each function, the functions interleaved round by round so that a
    noisy neighbour on a shared machine slows all of them alike (ratios stay honest)."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def alternated(
    forms: Sequence[str], use: Callable[[str], None], fn: Callable[[], object], rounds: int
) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Two or more builds of the same program timed in turn: each round, each form (``use``
    switches to it, then ``fn`` runs once to compile and three times timed) gives its best
    time, and every other round the order is reversed, so a noisy moment falls on all of
    them.  Returns each form's times and its last result."""
    times: dict[str, list[float]] = {f: [] for f in forms}
    results: dict[str, object] = {}
    for r in range(rounds):
        for form in list(forms) if r % 2 == 0 else list(reversed(forms)):
            use(form)
            results[form] = fn()
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - start)
            times[form].append(best)
    return times, results


def comparison_row(spec: str, counts: Sequence[int], times: Sequence[list[float]], ratio: tuple[int, int], same: bool) -> str:
    """One job's line in a comparison of two builds: a count per build (operations or
    kernels per step), each build's best and median time, the ratio of build ``ratio[0]`` to
    build ``ratio[1]`` (best, median), and whether their results had the same bits."""
    num, den = times[ratio[0]], times[ratio[1]]
    cells = [f"{spec:<30}", *(f"{c:>10}" for c in counts)]
    cells += [f"{min(t) * 1e3:>8.1f} {statistics.median(t) * 1e3:>8.1f}" for t in times]
    cells += [f"{min(num) / min(den):>8.2f} {statistics.median(num) / statistics.median(den):>7.2f}", f"{'yes' if same else 'NO':>9}"]
    return " ".join(cells)


def rosenbrock_grad_np(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    loss = (1 - x) ** 2 + 100 * r * r
    return loss, np.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=1)


def numpy_adam(starts: np.ndarray, steps: int, record: bool) -> np.ndarray:
    theta: np.ndarray = starts.astype(np.float32).copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    if record:
        positions = np.empty((steps + 1, *theta.shape), np.float32)
        losses = np.empty((steps + 1, theta.shape[0]), np.float32)
        norms = np.empty((steps + 1, theta.shape[0]), np.float32)
    loss, g = rosenbrock_grad_np(theta)
    for t in range(steps):
        if record:
            positions[t], losses[t], norms[t] = theta, loss, np.sqrt((g * g).sum(axis=1))
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        theta = theta - LR * (m / (1 - B1 ** (t + 1))) / (np.sqrt(v / (1 - B2 ** (t + 1))) + EPS)
        loss, g = rosenbrock_grad_np(theta)
    if record:
        positions[steps], losses[steps], norms[steps] = theta, loss, np.sqrt((g * g).sum(axis=1))
    return theta


@jax.jit
def xla_ceiling(theta: jax.Array, steps: jax.Array) -> jax.Array:
    def grad(p: jax.Array) -> jax.Array:
        x, y = p[:, 0], p[:, 1]
        r = y - x * x
        return jnp.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=1)

    def body(t, state):
        th, m, v = state
        g = grad(th)
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        k = (t + 1).astype(jnp.float32)
        th = th - LR * (m / (1 - B1**k)) / (jnp.sqrt(v / (1 - B2**k)) + EPS)
        return th, m, v

    zeros = jnp.zeros_like(theta)
    return jax.lax.fori_loop(0, steps, body, (theta, zeros, zeros))[0]


def ceiling_with_records(starts: np.ndarray, steps: int) -> np.ndarray:
    """The ceiling made to keep what the engine's full form keeps: every step's positions, loss
    and gradient norm, written in chunks of CHUNK_STEPS into buffers handed back each time, and
    copied on the host into step-major arrays.  What a trajectory costs the engine beyond its
    generality is the gap between this and the bare ceiling."""
    n = starts.shape[0]
    positions = np.empty((steps + 1, n, 2), np.float32)
    losses = np.empty((steps + 1, n), np.float32)
    norms = np.empty((steps + 1, n), np.float32)
    positions[0] = starts
    state = (jnp.asarray(starts), jnp.zeros_like(starts), jnp.zeros_like(starts))
    buffers = (np.empty((CHUNK_STEPS, n, 2), np.float32), np.empty((CHUNK_STEPS, n), np.float32), np.empty((CHUNK_STEPS, n), np.float32))
    t = 0
    while t < steps:
        state, buffers = _ceiling_chunk(state, buffers, t)
        k = min(CHUNK_STEPS, steps - t)
        pos, loss, norm = (np.asarray(b) for b in buffers)
        positions[t + 1 : t + 1 + k], losses[t + 1 : t + 1 + k], norms[t + 1 : t + 1 + k] = pos[:k], loss[:k], norm[:k]
        del pos, loss, norm  # a live view would stop the buffers' reuse
        t += k
    return positions


def _rosenbrock(p: jax.Array) -> tuple[jax.Array, jax.Array]:
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return (1 - x) ** 2 + 100 * r * r, jnp.stack([-2 * (1 - x) - 400 * x * r, 200 * r], axis=1)


@functools.partial(jax.jit, donate_argnums=(0, 1))
def _ceiling_chunk(state: tuple, buffers: tuple, t0: jax.Array) -> tuple[tuple, tuple]:
    def body(i, carry):
        (th, m, v), (pos, loss, norm) = carry
        g = _rosenbrock(th)[1]
        m = B1 * m + (1 - B1) * g
        v = B2 * v + (1 - B2) * g * g
        k = (t0 + i + 1).astype(jnp.float32)
        th = th - LR * (m / (1 - B1**k)) / (jnp.sqrt(v / (1 - B2**k)) + EPS)
        f, g1 = _rosenbrock(th)
        pos = jax.lax.dynamic_update_index_in_dim(pos, th, i, 0)
        loss = jax.lax.dynamic_update_index_in_dim(loss, f, i, 0)
        norm = jax.lax.dynamic_update_index_in_dim(norm, jnp.sqrt(jnp.sum(g1 * g1, axis=1)), i, 0)
        return (th, m, v), (pos, loss, norm)

    return jax.lax.fori_loop(0, CHUNK_STEPS, body, (state, buffers))


def general_final(cfg: object, starts: np.ndarray, steps: int) -> None:
    """simulate_final on the general program (every toggle a value), which the page's runs use:
    against the programs specialised on the modes that simulate_final picks by itself."""
    surfaces.simulate_final("rosenbrock", cfg, starts, steps, specialise=False)


def one_buffer_set(cfg: object, starts: np.ndarray, steps: int) -> None:
    """simulate with one set of record buffers, as runs past OVERLAP_MAX_BYTES have (the host
    reads a chunk, then the next is computed): against the two sets that overlap the two."""
    saved = engine_module.OVERLAP_MAX_BYTES
    engine_module.OVERLAP_MAX_BYTES = 0
    try:
        surfaces.simulate("rosenbrock", cfg, starts, steps)
    finally:
        engine_module.OVERLAP_MAX_BYTES = saved


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    devices = ", ".join(str(d) for d in jax.devices())
    return f"{cpu}, {os.cpu_count()} cores; JAX {jax.__version__} on {devices}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the script, not the machine")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=None)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args(argv)
    sizes = args.sizes or ([64, 256] if args.quick else [1_000, 10_000, 100_000])
    steps = args.steps or (20 if args.quick else 1_000)
    repeat = 1 if args.quick else args.repeat
    cfg = surfaces.preset("adam", lr=LR)

    print(f"machine: {machine()}")
    print(f"workload: Adam on rosenbrock, {steps} steps, point-steps/s = starts x steps / best of {repeat} runs")
    header = (
        f"{'starts':>8} {'form':<7} {'engine pt-steps/s':>18} {'numpy pt-steps/s':>17} "
        f"{'x numpy':>8} {'ceiling pt-steps/s':>19} {'of ceiling':>10} {'ceil+rec pt-st/s':>17} {'of ceil+rec':>14}"
    )
    print(header)
    for n in sizes:
        starts = surfaces.random_starts(surfaces.get_surface("rosenbrock"), n, seed=0)
        work = n * steps
        device_starts = jnp.asarray(starts)

        def ceiling_run(device_starts: jax.Array = device_starts) -> None:
            jax.block_until_ready(xla_ceiling(device_starts, steps))

        for form in ("full", "final"):
            run = surfaces.simulate if form == "full" else surfaces.simulate_final
            fns: list[Callable[[], object]] = [
                functools.partial(run, "rosenbrock", cfg, starts, steps),
                functools.partial(numpy_adam, starts, steps, form == "full"),
                ceiling_run,
                functools.partial(ceiling_with_records, starts, steps)
                if form == "full"
                else functools.partial(general_final, cfg, starts, steps),
            ]
            if form == "full":
                fns.append(functools.partial(one_buffer_set, cfg, starts, steps))
            engine, numpy_t, ceiling, other, *one_set = best_times(fns, repeat)
            print(
                f"{n:>8} {form:<7} {work / engine:>18.3e} {work / numpy_t:>17.3e} "
                f"{numpy_t / engine:>8.1f} {work / ceiling:>19.3e} {ceiling / engine:>10.0%}",
                end="",
            )
            if form == "full":
                # Two sets of record buffers below OVERLAP_MAX_BYTES: the same as one above it.
                print(f" {work / other:>17.3e} {other / engine:>14.0%}   x{one_set[0] / engine:.2f} of one record buffer set")
            else:
                general = f"{work / other:.3e} pt-steps/s, {ceiling / other:.0%} of the ceiling"
                print(f"   general program: {general}; specialised x{other / engine:.2f}")

    # A start count in a bucket not used before compiles the engine's kernels once.
    fresh = bucket(max(sizes)) * 2 + 1
    starts = surfaces.random_starts(surfaces.get_surface("rosenbrock"), fresh, seed=1)
    before = surfaces.compilation_count()
    start = time.perf_counter()
    surfaces.simulate("rosenbrock", cfg, starts, 1)
    elapsed = time.perf_counter() - start
    print(f"new bucket ({bucket(fresh)} starts): {surfaces.compilation_count() - before} compilations, {elapsed:.2f} s including one step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
