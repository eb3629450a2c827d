"""Where runs start, and which examples each minibatch holds.

Minibatches are drawn without replacement and reshuffled every epoch, independently for
every start (each start is its own training run), from a seeded *stateless* shuffle: the
index of slot r in epoch e of start s is a function of (seed, s, e, r) alone.  So the engine
needs no per-start permutation tables, a run is reproducible from its seed, and the same
start sees the same batches under every configuration of a comparison.

The shuffle is a bijection of {0 … N−1} for N a power of two, built from murmur3's
finaliser: an odd multiplier and an offset (an affine map mod N), an XOR and a bit rotation,
then a second affine map.  It is not uniform over all N! orders, but every example appears
exactly once per epoch and the order changes from epoch to epoch and start to start.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from errorscape.surfaces.registry import Array, Surface

_GOLDEN = 0x9E3779B9


def _fmix(h: Array) -> Array:
    h = h ^ (h >> 16)
    h = h * jnp.uint32(0x85EBCA6B)
    h = h ^ (h >> 13)
    h = h * jnp.uint32(0xC2B2AE35)
    return h ^ (h >> 16)


def shuffled_index(seed: Array, start: Array, epoch: Array, slot: Array, log2_n: int) -> Array:
    """Example index at ``slot`` of ``epoch`` for ``start``; all uint32, broadcastable."""
    if log2_n == 0:
        return jnp.zeros_like(slot)
    mask = jnp.uint32((1 << log2_n) - 1)
    h = _fmix(seed ^ _fmix(start * jnp.uint32(_GOLDEN) ^ _fmix(epoch + jnp.uint32(0x632BE5AB))))
    a1 = _fmix(h ^ jnp.uint32(1)) | jnp.uint32(1)
    b1 = _fmix(h ^ jnp.uint32(2))
    c = _fmix(h ^ jnp.uint32(3))
    a2 = _fmix(h ^ jnp.uint32(4)) | jnp.uint32(1)
    b2 = _fmix(h ^ jnp.uint32(5))
    i = (a1 * slot + b1) & mask
    i = i ^ (c & mask)
    rot = (c >> 16) % jnp.uint32(log2_n)
    i = ((i << rot) | (i >> (jnp.uint32(log2_n) - rot))) & mask
    return (a2 * i + b2) & mask


def grid_starts(surface: Surface, n: int) -> np.ndarray:
    """n × n starts evenly over the plot domain, row by row (y outer, x inner)."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def random_starts(surface: Surface, n: int, seed: int) -> np.ndarray:
    """n starts drawn uniformly over the plot domain."""
    (x0, x1), (y0, y1) = surface.domain
    rng = np.random.default_rng([int(seed), 0x5EED])
    return rng.uniform([x0, y0], [x1, y1], size=(n, 2)).astype(np.float32)
