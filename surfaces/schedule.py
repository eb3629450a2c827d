"""Learning-rate schedules η_t: one traced formula, so switching schedule compiles nothing.

η_t = η · warm-up(t) · decay(t − warm-up steps), with t the 0-based update count:

* warm-up(t) = min(1, (t + 1) / W) when W = ``warmup_steps`` > 0, else 1 (linear warm-up);
* decay(s), s = max(t − W, 0):
  ``constant`` 1 · ``inv_sqrt`` 1/√(s + 1) · ``exponential`` γ^s (γ = ``decay_rate``) ·
  ``cosine`` ½(1 + cos(π·min(s, D)/D)) (D = ``decay_steps``).

Warm-up composes with every decay, which gives the lecture's "warm up, then decay".
"""

from __future__ import annotations

import jax.numpy as jnp

from errorscape.surfaces.registry import Array

SCHEDULES = ("constant", "inv_sqrt", "exponential", "cosine")


def learning_rate(count: Array, lr: Array, schedule: Array, decay_rate: Array, decay_steps: Array, warmup_steps: Array) -> Array:
    """η_t for update number ``count`` (0-based); every argument is a traced array."""
    t = count.astype(jnp.float32)
    warm = jnp.where(warmup_steps > 0, jnp.minimum(1.0, (t + 1.0) / jnp.maximum(warmup_steps, 1.0)), 1.0)
    s = jnp.maximum(t - warmup_steps, 0.0)
    decay = jnp.select(
        [schedule == 1, schedule == 2, schedule == 3],
        [
            1.0 / jnp.sqrt(s + 1.0),
            decay_rate**s,
            0.5 * (1.0 + jnp.cos(jnp.pi * jnp.minimum(s, decay_steps) / decay_steps)),
        ],
        jnp.ones_like(s),
    )
    return lr * warm * decay
