"""The problem a run solves: a surface's data set on the device, its parameters, the loss
functions for one point (full batch, minibatch, test set), and the checks of a run's arguments
that concern the problem (surface parameters, starts).  Shared by the engine, the Hessian
analysis and the loss grid; nothing here knows about optimizers or compiled programs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_GRID, MAX_STARTS
from errorscape.surfaces.registry import Array, Surface, Tensor, surface_cache
from errorscape.surfaces.sampling import grid_starts, random_starts


def check_int(name: str, value: Any, low: int, high: int) -> int:
    """``name`` is the field's dotted path (``starts.grid``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise FieldError(tuple(name.split(".")), f"expected an integer, got {type(value).__name__}")
    if not low <= int(value) <= high:
        raise FieldError(tuple(name.split(".")), f"must be between {low} and {high}")
    return int(value)


def resolve_params(surface: Surface, values: Mapping[str, Any] | None) -> dict[str, float]:
    """The surface's parameters with defaults filled in; ValueError names any bad one."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise FieldError(("surface_params",), "expected a mapping of parameter names to numbers")
    declared = {p.name: p for p in surface.params}
    out = surface.param_defaults()
    for name, value in values.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise FieldError(("surface_params", name), f"unknown parameter of surface {surface.name!r} (parameters: {known})")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise FieldError(("surface_params", name), f"expected a number, got {type(value).__name__}")
        p = declared[name]
        v = float(value)
        if not math.isfinite(v) or not p.minimum <= v <= p.maximum:
            raise FieldError(("surface_params", name), f"must be finite and between {p.minimum} and {p.maximum}")
        out[name] = v
    return out


def resolve_starts(surface: Surface, starts: Any, seed: int = 0) -> np.ndarray:
    """(S, 2) float32 starts from an array, ``{"grid": n}``, ``{"random": n}`` or None (defaults)."""
    if starts is None:
        return np.asarray(surface.default_starts or [[0.0, 0.0]], np.float32)
    if isinstance(starts, Mapping):
        if set(starts) == {"grid"}:
            return grid_starts(surface, check_int("starts.grid", starts["grid"], 1, MAX_GRID))
        if set(starts) == {"random"}:
            return random_starts(surface, check_int("starts.random", starts["random"], 1, MAX_STARTS), seed)
        raise FieldError(("starts",), 'expected an (S, 2) array, {"grid": n} or {"random": n}')
    try:
        arr = np.asarray(starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise FieldError(("starts",), "expected an (S, 2) array of numbers") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or not 1 <= arr.shape[0] <= MAX_STARTS:
        raise FieldError(("starts",), f"expected shape (S, 2) with 1 <= S <= {MAX_STARTS}, got {arr.shape}")
    if not np.isfinite(arr).all() or np.abs(arr).max() > surface.bound:
        raise FieldError(("starts",), f"every coordinate must be finite and within ±{surface.bound:g}")
    return arr.astype(np.float32)


class Env(NamedTuple):
    """Everything a step reads besides the state: data, parameters, sampling settings."""

    params: dict[str, Tensor]
    table: Tensor  # [N, d]: per-example statistics (closed-form surfaces) or examples
    full: Tensor  # full-batch mean statistics [d], or the examples again
    test: Tensor  # [M, k] test examples ([1, k] placeholder when there is no test set)
    seed: Tensor  # uint32 (the minibatch order; each configuration's batch size travels with
    # its hyperparameters, see kernels.Sampling)


Pair = tuple[Array, Array]


def pairwise_mean(values: Array) -> Array:
    """Mean over the leading axis (a power of two long) by a fixed tree of additions.

    A reduce lets XLA choose the order of additions per compiled shape; this order is the
    same for any number of starts or devices, so the loss is too (see surfaces/determinism)."""
    n = values.shape[0]
    if n & (n - 1):
        raise ValueError(f"data set size {n} is not a power of two")
    while values.shape[0] > 1:
        half = values.shape[0] // 2
        values = values[:half] + values[half:]
    return values[0] * np.float32(1.0 / n)


def weighted_sum(weights: Array, values: Array) -> Array:
    """Σ_b weights[b]·values[b] over a batch's rows, by the same fixed tree of additions as
    pairwise_mean (the engine's batches are a power of two long; an odd row is carried to the
    next level): the same bits for any number of starts or devices.  Not jnp.dot: under the
    engine's vmap over configurations and starts a dot becomes a batched matrix product, a
    library call of its own per step that nothing fuses with (on sharp_flat it made a step 8×
    slower); nor a reduce, whose order XLA chooses per compiled shape."""
    values = weights.reshape(weights.shape + (1,) * (values.ndim - 1)) * values
    while values.shape[0] > 1:
        half = values.shape[0] // 2
        summed = values[:half] + values[half : 2 * half]
        values = summed if values.shape[0] == 2 * half else jnp.concatenate([summed, values[2 * half :]])
    return values[0]


def loss_functions(surface: Surface):
    """(full-batch loss, batch loss, test loss), each for one point θ."""
    ex = surface.example_loss

    def mean_over(theta: Array, examples: Array, params: dict[str, Array]) -> Array:
        return pairwise_mean(jax.vmap(lambda e: ex(theta, e, params))(examples))

    if surface.reduced_loss is not None:
        reduced = surface.reduced_loss

        def full(theta: Array, env: Env) -> Array:
            return reduced(theta, env.full, env.params)

        def batch(theta: Array, rows: Array, weights: Array, env: Env) -> Array:
            return reduced(theta, weighted_sum(weights, rows), env.params)

    else:

        def full(theta: Array, env: Env) -> Array:
            return mean_over(theta, env.full, env.params)

        def batch(theta: Array, rows: Array, weights: Array, env: Env) -> Array:
            return weighted_sum(weights, jax.vmap(lambda e: ex(theta, e, env.params))(rows))

    def test(theta: Array, env: Env) -> Array:
        return mean_over(theta, env.test, env.params)

    return full, batch, test


def make_env(surface: Surface, params: Mapping[str, float], data_seed: int, seed: int = 0) -> Env:
    """The host-side environment of a run (checked parameters, the data set, the seed)."""
    table, full, test = data_arrays(surface, data_seed)
    return Env(
        params={k: np.float32(v) for k, v in params.items()},
        table=table,
        full=full,
        test=test,
        seed=np.uint32(seed),
    )


@surface_cache(custom_size=8)
def data_arrays(surface: Surface, data_seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(table, full-batch statistics, test examples) as float32, made once per data set."""
    data = surface.data(data_seed)
    train = data.train.astype(np.float32)
    if surface.example_stats is not None:
        # Statistics in float64 on the host, so the full-batch mean of ± paired noise is 0.
        table64 = np.asarray(_stats_fn(surface)(data.train.astype(np.float32)), np.float64)
        table, full = table64.astype(np.float32), table64.mean(axis=0).astype(np.float32)
    else:
        table, full = train, train
    test = data.test if data.test is not None else np.zeros((1, train.shape[1]))
    return table, full, test.astype(np.float32)


@surface_cache(custom_size=8)
def _stats_fn(surface: Surface):
    stats = surface.example_stats
    assert stats is not None
    return jax.jit(stats)


@surface_cache(custom_size=8)
def final_loss(surface: Surface):
    """The full-batch loss at [C, S] points, jitted: where runs that keep no trajectory end."""
    full_loss, _, _ = loss_functions(surface)
    return jax.jit(jax.vmap(jax.vmap(full_loss, in_axes=(0, None)), in_axes=(0, None)))
