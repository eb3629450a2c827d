"""The network trainer, planes and Hessians, as ratios against baselines in the same run.

    python -m bench.nets            # 64 networks × 2,000 steps of a 2-16-16-2 MLP, 512 points
    python -m bench.nets --quick    # tiny sizes, to check the script itself runs

Figures:
* trainer: ``errorscape.nets.train`` (records only at the start and the end) against two loops
  over networks doing the same optax training: one jitted lax.scan over the same minibatches
  per network (one compile, reused), and the usual training loop (a jitted step called from
  Python for every step); compile time excluded;
* plane: a 51×51 filter-normalised plane (train and test loss) against a Python loop over the
  grid of a jitted loss of one parameter vector;
* Hessian: the full Hessian and its eigenvalues at P ≈ 1,000.
A figure is the best of ``--repeat`` runs after a warm-up run.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from bench.engine import best_times
from errorscape import nets
from errorscape.nets.model import bind, data, example_losses, metrics, outputs
from errorscape.nets.train import Batches


def loop_of_optax_trainings(task: nets.Task, model: nets.Model, networks: int, steps: int, batch: int, seed: int) -> Any:
    """The baseline: what a student writes for one network, run once per network."""
    net = bind(model, task)
    x, y = jnp.asarray(task.x_train), jnp.asarray(task.y_train)
    tx = optax.adam(0.01)
    theta0 = model.init(task, networks, seed)
    rows = Batches(len(task.y_train), networks, seed).rows(0, steps, [batch])[:, 0]  # [steps, N, B]

    @jax.jit
    def one(theta: jax.Array, r: jax.Array) -> jax.Array:
        w = jnp.full((batch,), 1.0 / batch)

        def step(carry: Any, rk: jax.Array) -> tuple[Any, None]:
            t, s = carry
            g = jax.grad(lambda p: w @ example_losses(net, outputs(net, p, x[rk], w), y[rk]))(t)
            u, s = tx.update(g, s, t)
            return (t + u, s), None

        (t, _), _ = jax.lax.scan(step, (theta, tx.init(theta)), r)
        return t

    def run() -> np.ndarray:
        return np.stack([np.asarray(one(jnp.asarray(theta0[n]), jnp.asarray(rows[:, n]))) for n in range(networks)])

    return run


def loop_of_step_calls(task: nets.Task, model: nets.Model, networks: int, steps: int, batch: int, seed: int) -> Any:
    """The usual training loop: a jitted step called from Python, step after step, per network."""
    net = bind(model, task)
    x, y = jnp.asarray(task.x_train), jnp.asarray(task.y_train)
    tx = optax.adam(0.01)
    theta0 = model.init(task, networks, seed)
    rows = jnp.asarray(Batches(len(task.y_train), networks, seed).rows(0, steps, [batch])[:, 0])
    w = jnp.full((batch,), 1.0 / batch)

    @jax.jit
    def step(t: jax.Array, s: Any, rk: jax.Array) -> tuple[jax.Array, Any]:
        g = jax.grad(lambda p: w @ example_losses(net, outputs(net, p, x[rk], w), y[rk]))(t)
        u, s = tx.update(g, s, t)
        return t + u, s

    def run() -> np.ndarray:
        out = []
        for n in range(networks):
            t = jnp.asarray(theta0[n])
            s = tx.init(t)
            for k in range(steps):
                t, s = step(t, s, rows[k, n])
            out.append(np.asarray(t))
        return np.stack(out)

    return run


def bench_trainer(networks: int, steps: int, repeat: int) -> dict[str, float]:
    task = nets.task("moons", n_train=512, n_test=512)
    model = nets.Model(hidden=(16, 16))

    def ours() -> Any:
        return nets.train(task, model, "adam", networks=networks, steps=steps, batch_size=32, record_every=steps, checkpoints=False)

    # The same training: equal to float32 round-off over a few steps (over thousands, round-off
    # differences grow as training's own chaos amplifies them).
    few = min(steps, 20)
    short = nets.train(task, model, "adam", networks=networks, steps=few, batch_size=32, record_every=few, checkpoints=False)
    np.testing.assert_allclose(short.final[0], loop_of_optax_trainings(task, model, networks, few, 32, seed=0)(), rtol=1e-3, atol=1e-4)
    baseline = loop_of_optax_trainings(task, model, networks, steps, 32, seed=0)
    calls = loop_of_step_calls(task, model, networks, steps, 32, seed=0)
    t_ours, t_base = best_times([ours, baseline], repeat)
    (t_calls,) = best_times([calls], 1)  # slow: once is enough
    return {
        "ours_s": t_ours,
        "scan_loop_s": t_base,
        "speedup_vs_scan_loop": t_base / t_ours,
        "step_calls_s": t_calls,
        "speedup_vs_step_calls": t_calls / t_ours,
        "network_steps_per_s": networks * steps / t_ours,
    }


def bench_plane(n: int, repeat: int) -> dict[str, float]:
    task = nets.task("moons", n_train=512, n_test=512)
    model = nets.Model(hidden=(16, 16))
    net, d = bind(model, task), data(task)
    center = model.init(task, 1, seed=1)[0]
    dirs = nets.plane(task, model, center, n=3).directions
    one = jax.jit(lambda t: metrics(net, t, d))
    xs = np.linspace(-1.0, 1.0, n)

    def ours() -> Any:
        return nets.plane(task, model, center, kind="filter", n=n)

    def loop() -> Any:
        out = []
        for yv in xs:
            for xv in xs:
                m = one(jnp.asarray((center + xv * dirs[0] + yv * dirs[1]).astype(np.float32)))
                out.append((float(m.train_loss), float(m.test_loss)))
        return out

    t_ours, t_loop = best_times([ours, loop], repeat)
    return {"ours_s": t_ours, "loop_s": t_loop, "speedup": t_loop / t_ours}


def bench_hessian(hidden: tuple[int, ...], repeat: int) -> dict[str, float]:
    task = nets.task("moons", n_train=512, n_test=16)
    model = nets.Model(hidden=hidden)
    theta = model.init(task, 1, seed=2)[0]
    (t,) = best_times([lambda: nets.hessian(task, model, theta)], repeat)
    (t_lanczos,) = best_times([lambda: nets.sharpness(task, model, theta)], repeat)
    return {"params": float(model.size(task)), "hessian_s": t, "sharpness_s": t_lanczos}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that the script runs")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    networks, steps, side, hidden = (4, 50, 5, (8,)) if args.quick else (64, 2000, 51, (30, 30))
    cpu = f"{platform.machine()} {platform.processor() or ''}, {os.cpu_count()} cores"
    print(f"machine: {cpu}, JAX {jax.__version__} on {jax.default_backend()}")
    start = time.perf_counter()
    for name, result in (
        (f"trainer {networks} networks × {steps} steps, 2-16-16-2, 512 points, batch 32", bench_trainer(networks, steps, args.repeat)),
        (f"plane {side}×{side}, 2-16-16-2, 512 + 512 points", bench_plane(side, args.repeat)),
        (f"full Hessian, 2-{'-'.join(map(str, hidden))}-2, 512 points", bench_hessian(hidden, args.repeat)),
    ):
        print(f"{name}: " + ", ".join(f"{k} {v:.4g}" for k, v in result.items()), flush=True)
    print(f"total {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
