"""Time per update against batch size, measured on this process's JAX device (the lecture's
"larger batch does not need longer time to compute the gradient" on parallel hardware).

The model is a small network (64 → 256 → 10, tanh, softmax cross-entropy) on random data:
big enough that a CPU's time per update grows with the batch, small enough that a whole
sweep takes a few seconds.  Each batch size is its own compiled program, compiled before it
is timed; the time is the median of several updates, each waited for.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

BATCH_SIZES = (1, 4, 16, 64, 256, 1024, 4096)
N_EXAMPLES = 4096  # one epoch
_SIZES = (64, 256, 10)


@dataclass(frozen=True)
class BatchTiming:
    device: str
    batch_sizes: tuple[int, ...]
    update_s: tuple[float, ...]  # median seconds for one update
    epoch_s: tuple[float, ...]  # update_s × updates per epoch (ceil(N / B))
    n_examples: int


def _init(key: jax.Array) -> dict[str, jax.Array]:
    k1, k2 = jax.random.split(key)
    d_in, d_hidden, d_out = _SIZES
    return {
        "w1": jax.random.normal(k1, (d_in, d_hidden), jnp.float32) / math.sqrt(d_in),
        "b1": jnp.zeros(d_hidden, jnp.float32),
        "w2": jax.random.normal(k2, (d_hidden, d_out), jnp.float32) / math.sqrt(d_hidden),
        "b2": jnp.zeros(d_out, jnp.float32),
    }


def _loss(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
    h = jnp.tanh(x @ params["w1"] + params["b1"][None, :])
    logits = h @ params["w2"] + params["b2"][None, :]
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


@functools.cache
def _step():
    @jax.jit
    def step(params: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> dict[str, jax.Array]:
        grads = jax.grad(_loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)

    return step


def measure(batch_sizes: tuple[int, ...] = BATCH_SIZES, repeats: int = 15, seed: int = 0) -> BatchTiming:
    """Time one SGD update for each batch size (all ≤ N_EXAMPLES) on the default device."""
    if not batch_sizes or any(not 1 <= b <= N_EXAMPLES for b in batch_sizes):
        raise ValueError(f"batch sizes must be between 1 and {N_EXAMPLES}")
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    rng = np.random.default_rng(seed)
    x_all = jnp.asarray(rng.normal(size=(N_EXAMPLES, _SIZES[0])).astype(np.float32))
    y_all = jnp.asarray(rng.integers(0, _SIZES[2], size=N_EXAMPLES).astype(np.int32))
    params = _init(jax.random.PRNGKey(seed))
    step = _step()
    update_s = []
    for b in batch_sizes:
        x, y = x_all[:b], y_all[:b]
        params = jax.block_until_ready(step(params, x, y))  # compile, and warm
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            params = jax.block_until_ready(step(params, x, y))
            times.append(time.perf_counter() - started)
        update_s.append(float(np.median(times)))
    epoch_s = tuple(u * math.ceil(N_EXAMPLES / b) for u, b in zip(update_s, batch_sizes, strict=True))
    device = jax.devices()[0]
    return BatchTiming(
        device=f"{device.platform}: {device.device_kind}",
        batch_sizes=tuple(batch_sizes),
        update_s=tuple(update_s),
        epoch_s=epoch_s,
        n_examples=N_EXAMPLES,
    )
