"""Runs many starts under several optimizer configurations at once.

Shape of the computation: ``jax.vmap`` over configurations [C] and starts [S], ``lax.scan``
over a fixed chunk of steps, chunks chained on the host with the state carried over.  What
enters a compile key is only what must: the surface, full-batch or not, the padded batch
size, the padded start count (a power of two), the number of configurations.  Steps never do
(every chunk has ``CHUNK_STEPS`` steps; the tail of the last one is computed and dropped)
and no hyperparameter does (they are arrays, see :mod:`surfaces.optimizer`).

Divergence: a trajectory diverges at the first recorded step whose position, loss or
gradient is not finite or whose position leaves the surface's bound box.  From that step on
its entries are NaN and its state is frozen, so a blow-up costs nothing and spreads nothing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from surfaces import optimizer
from surfaces.optimizer import Hyperparams, OptimizerConfig, OptState
from surfaces.registry import DATA_SEED, Array, Surface, Tensor, get_surface
from surfaces.sampling import grid_starts, random_starts, shuffled_index

CHUNK_STEPS = 100
MAX_CONFIGS = 8
MAX_STARTS = 1 << 22
MAX_STEPS = 100_000
MAX_GRID = 2048
MIN_BUCKET = 8


# --- argument checking ---------------------------------------------------------------------


def _check_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {type(value).__name__}")
    if not low <= int(value) <= high:
        raise ValueError(f"{name}: must be between {low} and {high}")
    return int(value)


def resolve_params(surface: Surface, values: Mapping[str, Any] | None) -> dict[str, float]:
    """The surface's parameters with defaults filled in; ValueError names any bad one."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ValueError("surface_params: expected a mapping of parameter names to numbers")
    declared = {p.name: p for p in surface.params}
    out = surface.param_defaults()
    for name, value in values.items():
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise ValueError(f"surface_params.{name}: unknown parameter of surface {surface.name!r} (parameters: {known})")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"surface_params.{name}: expected a number, got {type(value).__name__}")
        p = declared[name]
        v = float(value)
        if not math.isfinite(v) or not p.minimum <= v <= p.maximum:
            raise ValueError(f"surface_params.{name}: must be finite and between {p.minimum} and {p.maximum}")
        out[name] = v
    return out


def resolve_starts(surface: Surface, starts: Any, seed: int = 0) -> np.ndarray:
    """(S, 2) float32 starts from an array, ``{"grid": n}``, ``{"random": n}`` or None (defaults)."""
    if starts is None:
        return np.asarray(surface.default_starts or [[0.0, 0.0]], np.float32)
    if isinstance(starts, Mapping):
        if set(starts) == {"grid"}:
            return grid_starts(surface, _check_int("starts.grid", starts["grid"], 1, MAX_GRID))
        if set(starts) == {"random"}:
            return random_starts(surface, _check_int("starts.random", starts["random"], 1, MAX_STARTS), seed)
        raise ValueError('starts: expected an (S, 2) array, {"grid": n} or {"random": n}')
    try:
        arr = np.asarray(starts, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("starts: expected an (S, 2) array of numbers") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or not 1 <= arr.shape[0] <= MAX_STARTS:
        raise ValueError(f"starts: expected shape (S, 2) with 1 <= S <= {MAX_STARTS}, got {arr.shape}")
    if not np.isfinite(arr).all() or np.abs(arr).max() > surface.bound:
        raise ValueError(f"starts: every coordinate must be finite and within ±{surface.bound:g}")
    return arr.astype(np.float32)


def resolve_optimizers(optimizers: Any) -> list[OptimizerConfig]:
    if isinstance(optimizers, (str, Mapping, OptimizerConfig)):
        optimizers = [optimizers]
    if not isinstance(optimizers, Sequence) or not 1 <= len(optimizers) <= MAX_CONFIGS:
        raise ValueError(f"optimizers: expected a list of 1 to {MAX_CONFIGS} configurations")
    configs = []
    for i, spec in enumerate(optimizers):
        try:
            configs.append(optimizer.as_config(spec))
        except ValueError as err:
            raise ValueError(f"optimizers[{i}].{str(err).removeprefix('optimizer.')}") from None
    return configs


def bucket(n: int) -> int:
    """Starts are padded to the next power of two (at least 8): a handful of shapes in all."""
    return max(MIN_BUCKET, 1 << (int(n) - 1).bit_length())


def config_bucket(n: int) -> int:
    """Configurations are padded to 1, 2, 4 or 8."""
    return 1 << (int(n) - 1).bit_length()


# --- device-side problem -------------------------------------------------------------------


class Env(NamedTuple):
    """Everything a step reads besides the state: data, parameters, sampling settings."""

    params: dict[str, Tensor]
    table: Tensor  # [N, d]: per-example statistics (closed-form surfaces) or examples
    full: Tensor  # full-batch mean statistics [d], or the examples again
    test: Tensor  # [M, k] test examples ([1, k] placeholder when there is no test set)
    seed: Tensor  # uint32
    batch: Tensor  # int32 batch size
    batches_per_epoch: Tensor  # int32


Pair = tuple[Array, Array]


class Carry(NamedTuple):
    # Vectors are stored as (x, y) pairs of [C, S] arrays: every per-point operation then
    # reads and writes whole contiguous rows, and XLA fuses a step into a few loops instead
    # of one small kernel per slice, transpose and two-element reduction.
    theta: Pair  # ([C, S], [C, S])
    trace: Pair
    nu: Pair
    grad: Pair  # full-batch gradient at theta
    alive: Array  # [C, S] bool
    diverged_at: Array  # [C, S] int32, -1 while alive
    step: Array  # int32 scalar: updates done
    powers: Pair  # ([C], [C]): β₁^step and β₂^step, see OptState


class Record(NamedTuple):
    positions: Array  # [C, S, 2] (one step); the chunk stacks these time-major
    loss: Array
    grad_norm: Array
    test_loss: Array | None  # None for surfaces without a test set


@dataclass(frozen=True)
class _Kernel:
    """A compile key: everything that fixes the shapes and the traced program."""

    surface: str
    full_batch: bool
    batch_pad: int
    log2_n: int
    has_test: bool
    starts_pad: int
    configs_pad: int
    devices: int  # > 1: the start axis is split across this many devices


# Compiled kernels kept at once.  Every key is one set of shapes, so this bounds the
# executables held in memory under any mix of requests; past it everything compiled is
# dropped (jax.clear_caches) and the shapes in use compile again.
KERNEL_CACHE_SIZE = 64
_KERNEL_CACHE: dict[_Kernel, Any] = {}


def _kernels(spec: _Kernel):
    cached = _KERNEL_CACHE.get(spec)
    if cached is None:
        if len(_KERNEL_CACHE) >= KERNEL_CACHE_SIZE:
            clear_compiled()
        cached = _KERNEL_CACHE[spec] = _build_kernels(spec)
    return cached


def clear_compiled() -> None:
    """Forget every compiled kernel (they compile again on next use)."""
    _KERNEL_CACHE.clear()
    jax.clear_caches()


def compiled_kernel_count() -> int:
    return len(_KERNEL_CACHE)


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
            return reduced(theta, weights @ rows, env.params)

    else:

        def full(theta: Array, env: Env) -> Array:
            return mean_over(theta, env.full, env.params)

        def batch(theta: Array, rows: Array, weights: Array, env: Env) -> Array:
            return jnp.dot(weights, jax.vmap(lambda e: ex(theta, e, env.params))(rows))

    def test(theta: Array, env: Env) -> Array:
        return mean_over(theta, env.test, env.params)

    return full, batch, test


def _build_kernels(spec: _Kernel):
    """The jitted init / chunk / final functions for one compile key."""
    surface = get_surface(spec.surface)
    full_loss, batch_loss, test_loss = loss_functions(surface)
    bound = np.float32(surface.bound)
    nan = np.float32(np.nan)
    slots = np.arange(spec.batch_pad, dtype=np.uint32)

    # The losses take θ as a 2-vector; the engine differentiates them along the two
    # coordinates separately, in forward mode, so that everything is scalar arithmetic per
    # coordinate and XLA never materialises a [C, S, 2] intermediate (see Carry).  Reverse
    # mode would assemble the gradient vector and slice it apart again every step.
    def by_coordinate(fn):
        return lambda x, y, *rest: fn(jnp.stack([x, y]), *rest)

    def value_and_partials(fn):
        def vg(x: Array, y: Array, *rest):
            f = lambda a, b: by_coordinate(fn)(a, b, *rest)  # noqa: E731
            one, zero = jnp.ones_like(x), jnp.zeros_like(x)
            value, gx = jax.jvp(f, (x, y), (one, zero))
            _, gy = jax.jvp(f, (x, y), (zero, one))
            return value, (gx, gy)

        return vg

    full_vg = value_and_partials(full_loss)
    batch_vg = value_and_partials(batch_loss)

    def batch_grad(x: Array, y: Array, *rest) -> Pair:
        return batch_vg(x, y, *rest)[1]

    test_xy = by_coordinate(test_loss)

    def evaluate(theta: Pair, env: Env):
        loss, grad = full_vg(*theta, env)
        ok = jnp.isfinite(loss)
        for i in range(2):
            ok = ok & jnp.isfinite(theta[i]) & (jnp.abs(theta[i]) <= bound) & jnp.isfinite(grad[i])
        return loss, grad, ~ok

    def point_step(theta: Pair, trace: Pair, nu: Pair, grad: Pair, alive, div_at, start_id, k, powers, k_end, hp, env):
        if spec.full_batch:
            g = grad
        else:
            epoch = (k // env.batches_per_epoch).astype(jnp.uint32)
            first = ((k % env.batches_per_epoch) * env.batch).astype(jnp.uint32)
            idx = shuffled_index(env.seed, start_id, epoch, first + slots, spec.log2_n)
            weights = jnp.where(slots < env.batch.astype(jnp.uint32), 1.0 / env.batch.astype(jnp.float32), 0.0)
            g = batch_grad(*theta, env.table[idx], weights, env)
        # The rule is element-wise: one update per coordinate.
        steps = [optimizer.update(g[i], OptState(k, trace[i], nu[i], *powers), hp) for i in range(2)]
        theta1 = (theta[0] + steps[0][0], theta[1] + steps[1][0])
        loss1, grad1, bad = evaluate(theta1, env)
        active = k < k_end
        newly = alive & bad & active
        alive1 = alive & ~newly
        keep = alive1 & active

        def kept(new: Pair, old: Pair) -> Pair:
            return jnp.where(keep, new[0], old[0]), jnp.where(keep, new[1], old[1])

        record = Record(
            positions=jnp.stack([jnp.where(alive1, theta1[0], nan), jnp.where(alive1, theta1[1], nan)]),
            loss=jnp.where(alive1, loss1, nan),
            grad_norm=jnp.where(alive1, jnp.sqrt(grad1[0] * grad1[0] + grad1[1] * grad1[1]), nan),
            test_loss=jnp.where(alive1, test_xy(*theta1, env), nan) if spec.has_test else None,
        )
        new = (
            kept(theta1, theta),
            kept((steps[0][1].trace, steps[1][1].trace), trace),
            kept((steps[0][1].nu, steps[1][1].nu), nu),
            kept(grad1, grad),
            alive1,
            jnp.where(newly, k + 1, div_at),
        )
        return new, record

    # starts: vmapped over S (state, start ids); configs: vmapped over C (state, hyperparams).
    over_starts = jax.vmap(point_step, in_axes=(0, 0, 0, 0, 0, 0, 0, None, None, None, None, None))
    batched_step = jax.vmap(over_starts, in_axes=(0, 0, 0, 0, 0, 0, None, None, 0, None, 0, None))

    def advance(carry: Carry, start_ids: Array, k_end: Array, hp: Hyperparams, env: Env):
        (theta, trace, nu, grad, alive, div_at), record = batched_step(
            carry.theta,
            carry.trace,
            carry.nu,
            carry.grad,
            carry.alive,
            carry.diverged_at,
            start_ids,
            carry.step,
            carry.powers,
            k_end,
            hp,
            env,
        )
        powers = optimizer.next_powers(*carry.powers, hp)
        return Carry(theta, trace, nu, grad, alive, div_at, carry.step + 1, powers), record

    def point_init(theta, env):
        pair = (theta[0], theta[1])
        loss, grad, bad = evaluate(pair, env)
        record = Record(
            positions=jnp.where(bad, nan, theta),
            loss=jnp.where(bad, nan, loss),
            grad_norm=jnp.where(bad, nan, jnp.sqrt(grad[0] * grad[0] + grad[1] * grad[1])),
            test_loss=jnp.where(bad, nan, test_loss(theta, env)) if spec.has_test else None,
        )
        return grad, ~bad, jnp.where(bad, 0, -1).astype(jnp.int32), record

    init_over_starts = jax.vmap(point_init, in_axes=(0, None))

    def init_body(starts: Array, hp: Hyperparams, env: Env):
        grad, alive, div_at, record = init_over_starts(starts, env)
        c = hp.lr.shape[0]

        def tile(x):
            return jnp.broadcast_to(x, (c, *x.shape))

        def tile_vector(x):  # [S, 2] -> ([C, S], [C, S])
            return tile(x[:, 0]), tile(x[:, 1])

        grad = tile(grad[0]), tile(grad[1])

        zero = jnp.zeros((c, starts.shape[0]), jnp.float32)
        zeros = (zero, zero)
        ones = jnp.ones((c,), jnp.float32)
        carry = Carry(tile_vector(starts), zeros, zeros, grad, tile(alive), tile(div_at), jnp.zeros((), jnp.int32), (ones, ones))
        return carry, jax.tree.map(tile, record)

    def chunk_body(carry: Carry, buffers: Record, start_ids: Array, k_end: Array, hp: Hyperparams, env: Env):
        def body(i, state):
            c, bufs = state
            c, record = advance(c, start_ids, k_end, hp, env)
            bufs = jax.tree.map(lambda b, r: jax.lax.dynamic_update_index_in_dim(b, r, i, 0), bufs, record)
            return c, bufs

        return jax.lax.fori_loop(0, CHUNK_STEPS, body, (carry, buffers))

    def final_body(carry: Carry, start_ids: Array, k_end: Array, hp: Hyperparams, env: Env):
        def body(c: Carry) -> Carry:
            return advance(c, start_ids, k_end, hp, env)[0]

        return jax.lax.while_loop(lambda c: c.step < k_end, body, carry)

    if spec.devices > 1:
        # Several devices: each runs the very program one device would, on its slice of the
        # starts (shard_map, not the automatic partitioner, whose rewritten program may round
        # differently), so a sharded run equals the one-device run bit for bit.
        mesh = Mesh(np.asarray(jax.devices()[: spec.devices]), ("starts",))
        # Partition specs shaped like the pytrees they describe (the NamedTuples hold specs here).
        by_start: Any = PartitionSpec(None, "starts")
        whole: Any = PartitionSpec()
        by_start_t: Any = PartitionSpec(None, None, "starts")  # [K, C, S, ...] record buffers
        carry_spec = Carry(by_start, by_start, by_start, by_start, by_start, by_start, whole, whole)
        row_spec = Record(by_start, by_start, by_start, by_start if spec.has_test else None)
        buffer_spec = Record(by_start_t, by_start_t, by_start_t, by_start_t if spec.has_test else None)
        ids = PartitionSpec("starts")
        init_body = jax.shard_map(init_body, mesh=mesh, in_specs=(ids, whole, whole), out_specs=(carry_spec, row_spec))
        chunk_body = jax.shard_map(
            chunk_body, mesh=mesh, in_specs=(carry_spec, buffer_spec, ids, whole, whole, whole), out_specs=(carry_spec, buffer_spec)
        )
        final_body = jax.shard_map(final_body, mesh=mesh, in_specs=(carry_spec, ids, whole, whole, whole), out_specs=carry_spec)

    init = jax.jit(init_body)
    # The chunk writes its records into buffers it is handed back every time (donated):
    # a scan's stacked output would be a fresh allocation per chunk, and on a CPU first
    # touching fresh memory costs more than computing the steps.
    chunk = jax.jit(chunk_body, donate_argnums=(0, 1))
    final = jax.jit(final_body, donate_argnums=(0,))
    return init, chunk, final


# --- host side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """Steps [t0, t1) of a run, time-major: positions [t1 − t0, C, S, 2], loss [t1 − t0, C, S]."""

    t0: int
    t1: int
    positions: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    test_loss: np.ndarray | None
    diverged_at: np.ndarray  # [C, S] as of t1 − 1; −1 for still finite


@dataclass(frozen=True)
class RunResult:
    positions: np.ndarray  # [C, T+1, S, 2]
    loss: np.ndarray  # [C, T+1, S]
    grad_norm: np.ndarray  # [C, T+1, S]
    test_loss: np.ndarray | None  # [C, T+1, S] for surfaces with a test set
    diverged_at: np.ndarray  # [C, S] int32: first diverged step, −1 for never
    starts: np.ndarray  # [S, 2]
    configs: tuple[OptimizerConfig, ...]


@dataclass(frozen=True)
class _Prepared:
    surface: Surface
    configs: tuple[OptimizerConfig, ...]
    starts: np.ndarray
    steps: int
    kernels: Any
    hp: Hyperparams
    env: Env
    starts_pad: Array
    start_ids: Array
    has_test: bool
    layout: _Layout


class _Layout:
    """Where arrays live: on the default device, or — when several devices are visible — with
    the start axis split across all of them (every start is independent, so the split needs no
    communication) and everything else replicated."""

    def __init__(self, n_starts_padded: int) -> None:
        self.devices = shard_count(n_starts_padded)
        self.mesh: Mesh | None = None
        if self.devices > 1:
            self.mesh = Mesh(np.asarray(jax.devices()[: self.devices]), ("starts",))

    def replicated(self, tree: Any) -> Any:
        if self.mesh is None:
            return jax.device_put(tree)
        return jax.device_put(tree, NamedSharding(self.mesh, PartitionSpec()))

    def by_start(self, tree: Any, axis: int) -> Any:
        """Put arrays whose axis ``axis`` is the start axis."""
        if self.mesh is None:
            return jax.device_put(tree)
        spec = PartitionSpec(*([None] * axis), "starts")
        return jax.device_put(tree, NamedSharding(self.mesh, spec))


def shard_count(n_starts_padded: int) -> int:
    """How many devices a run's starts are split across: all visible ones, or the largest power
    of two of them that divides the padded start count (starts are padded to powers of two)."""
    n = len(jax.devices())
    while n > 1 and (n_starts_padded % n or n & (n - 1)):
        n -= 1
    return n


def _prepare(surface_name, optimizers, starts, steps, batch_size, seed, surface_params, data_seed) -> _Prepared:
    surface = get_surface(surface_name)
    params = resolve_params(surface, surface_params)
    configs = tuple(resolve_optimizers(optimizers))
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    steps = _check_int("steps", steps, 1, MAX_STEPS)
    start_arr = resolve_starts(surface, starts, seed)
    data = surface.data(_check_int("data_seed", data_seed, 0, 2**32 - 1))
    n = data.train.shape[0]
    if batch_size is None:
        batch = n
    else:
        batch = _check_int("batch_size", batch_size, 1, n)
    full_batch = batch == n
    log2_n = n.bit_length() - 1
    if 1 << log2_n != n:
        raise ValueError(f"surface {surface.name!r}: its data set size {n} is not a power of two")

    env = make_env(surface, params, data_seed, seed=seed, batch=batch)
    # Configurations are padded to a power of two (repeating the first) like starts.
    hp_host = [c.hyperparams() for c in configs]
    hp_host += hp_host[:1] * (config_bucket(len(configs)) - len(configs))
    hp = Hyperparams(**{f: np.stack([h[f] for h in hp_host]) for f in Hyperparams._fields})

    s = start_arr.shape[0]
    s_pad = bucket(s)
    starts_pad = np.concatenate([start_arr, np.repeat(start_arr[:1], s_pad - s, axis=0)])
    layout = _Layout(s_pad)
    spec = _Kernel(
        surface=surface.name,
        full_batch=full_batch,
        batch_pad=1 if full_batch else 1 << (batch - 1).bit_length(),
        log2_n=log2_n,
        has_test=data.test is not None,
        starts_pad=s_pad,
        configs_pad=len(hp_host),
        devices=layout.devices,
    )
    return _Prepared(
        surface=surface,
        configs=configs,
        starts=start_arr,
        steps=steps,
        kernels=_kernels(spec),
        hp=layout.replicated(hp),
        env=layout.replicated(env),
        starts_pad=layout.by_start(starts_pad, 0),
        start_ids=layout.by_start(np.arange(s_pad, dtype=np.uint32), 0),
        has_test=spec.has_test,
        layout=layout,
    )


def make_env(surface: Surface, params: Mapping[str, float], data_seed: int, seed: int = 0, batch: int | None = None) -> Env:
    """The host-side environment of a run (checked parameters, the data set, sampling)."""
    table, full, test = data_arrays(surface.name, data_seed)
    n = table.shape[0]
    batch = n if batch is None else batch
    return Env(
        params={k: np.float32(v) for k, v in params.items()},
        table=table,
        full=full,
        test=test,
        seed=np.uint32(seed),
        batch=np.int32(batch),
        batches_per_epoch=np.int32(n // batch),
    )


@functools.lru_cache(maxsize=64)
def data_arrays(name: str, data_seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(table, full-batch statistics, test examples) as float32, made once per data set."""
    surface = get_surface(name)
    data = surface.data(data_seed)
    train = data.train.astype(np.float32)
    if surface.example_stats is not None:
        # Statistics in float64 on the host, so the full-batch mean of ± paired noise is 0.
        table64 = np.asarray(_stats_fn(name)(data.train.astype(np.float32)), np.float64)
        table, full = table64.astype(np.float32), table64.mean(axis=0).astype(np.float32)
    else:
        table, full = train, train
    test = data.test if data.test is not None else np.zeros((1, train.shape[1]))
    return table, full, test.astype(np.float32)


@functools.cache
def _stats_fn(name: str):
    stats = get_surface(name).example_stats
    assert stats is not None
    return jax.jit(stats)


def _stream(prep: _Prepared) -> Iterator[Chunk]:
    """Chunks whose arrays are views of device buffers, valid until the next chunk is asked
    for.  A consumer must drop them before asking: a live view makes the next chunk allocate
    new buffers instead of reusing these."""
    init, chunk, _ = prep.kernels
    c, s = len(prep.configs), prep.starts.shape[0]
    carry, record = init(prep.starts_pad, prep.hp, prep.env)
    yield _to_chunk(0, 1, jax.tree.map(lambda x: np.asarray(x)[None], record), carry.diverged_at, c, s)
    # Record buffers are [K, C, S, ...]: the start axis is axis 2.
    buffers = prep.layout.by_start(jax.tree.map(lambda r: np.empty((CHUNK_STEPS, *r.shape), r.dtype), record), 2)
    k_end = prep.layout.replicated(np.int32(prep.steps))
    t = 1
    while t <= prep.steps:
        carry, buffers = chunk(carry, buffers, prep.start_ids, k_end, prep.hp, prep.env)
        t1 = min(t + CHUNK_STEPS, prep.steps + 1)
        yield _to_chunk(t, t1, buffers, carry.diverged_at, c, s)
        t = t1


def _to_chunk(t0: int, t1: int, records: Record, diverged_at: Array, c: int, s: int) -> Chunk:
    n = t1 - t0

    def view(x: Array) -> np.ndarray:
        return np.asarray(x)[:n, :c, :s]

    return Chunk(
        t0=t0,
        t1=t1,
        positions=view(records.positions),
        loss=view(records.loss),
        grad_norm=view(records.grad_norm),
        test_loss=None if records.test_loss is None else view(records.test_loss),
        diverged_at=np.array(np.asarray(diverged_at)[:c, :s]),
    )


def simulate_chunks(
    surface: str | Surface,
    optimizers: Any,
    starts: Any = None,
    steps: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
    copy: bool = True,
) -> Iterator[Chunk]:
    """The run as a stream: first the starts (t = 0), then chunks of up to CHUNK_STEPS steps.

    Arguments are checked before the first chunk is computed, so a bad argument raises
    ``ValueError`` at the call, not at the first ``next``.  Closing the generator early
    (a cancelled stream) stops the computation after the chunk in flight.  With
    ``copy=False`` a chunk's arrays are views of buffers the next chunk overwrites: for a
    consumer that serialises each chunk before asking for the next (the WebSocket stream).
    """
    prep = _prepare(surface, optimizers, starts, steps, batch_size, seed, surface_params, data_seed)
    return _owned(_stream(prep)) if copy else _stream(prep)


def _owned(stream: Iterator[Chunk]) -> Iterator[Chunk]:
    for ch in stream:
        owned = _own(ch)
        # A NumPy view of a device buffer stops XLA from reusing (donating) that buffer for
        # the next chunk, which then costs a fresh allocation: drop it before resuming.
        del ch
        yield owned


def _own(ch: Chunk) -> Chunk:
    """A chunk whose arrays the caller owns (the stream reuses its buffers)."""
    return Chunk(
        t0=ch.t0,
        t1=ch.t1,
        positions=np.array(ch.positions),
        loss=np.array(ch.loss),
        grad_norm=np.array(ch.grad_norm),
        test_loss=None if ch.test_loss is None else np.array(ch.test_loss),
        diverged_at=ch.diverged_at,
    )


def simulate(
    surface: str | Surface,
    optimizers: Any,
    starts: Any = None,
    steps: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
) -> RunResult:
    """Run every configuration from every start; NumPy arrays, config-major (see RunResult)."""
    prep = _prepare(surface, optimizers, starts, steps, batch_size, seed, surface_params, data_seed)
    c, s, t = len(prep.configs), prep.starts.shape[0], prep.steps + 1
    positions = np.empty((c, t, s, 2), np.float32)
    loss = np.empty((c, t, s), np.float32)
    grad_norm = np.empty((c, t, s), np.float32)
    test_loss = np.empty((c, t, s), np.float32) if prep.has_test else None
    diverged_at = np.full((c, s), -1, np.int32)
    for ch in _stream(prep):
        # One strided copy per chunk turns time-major chunks into the config-major result.
        positions[:, ch.t0 : ch.t1] = ch.positions.transpose(1, 0, 2, 3)
        loss[:, ch.t0 : ch.t1] = ch.loss.transpose(1, 0, 2)
        grad_norm[:, ch.t0 : ch.t1] = ch.grad_norm.transpose(1, 0, 2)
        if test_loss is not None and ch.test_loss is not None:
            test_loss[:, ch.t0 : ch.t1] = ch.test_loss.transpose(1, 0, 2)
        diverged_at = ch.diverged_at
        del ch  # see _stream
    return RunResult(positions, loss, grad_norm, test_loss, diverged_at.astype(np.int32), prep.starts, prep.configs)


@dataclass(frozen=True)
class FinalResult:
    positions: np.ndarray  # [C, S, 2], NaN where diverged
    loss: np.ndarray  # [C, S]
    grad_norm: np.ndarray  # [C, S]
    diverged_at: np.ndarray  # [C, S]
    starts: np.ndarray


def simulate_final(
    surface: str | Surface,
    optimizers: Any,
    starts: Any = None,
    steps: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
) -> FinalResult:
    """Only where each run ends: no trajectories kept, for dense grids (basin maps)."""
    prep = _prepare(surface, optimizers, starts, steps, batch_size, seed, surface_params, data_seed)
    init, _, final = prep.kernels
    carry, _ = init(prep.starts_pad, prep.hp, prep.env)
    carry = final(carry, prep.start_ids, prep.layout.replicated(np.int32(prep.steps)), prep.hp, prep.env)
    c, s = len(prep.configs), prep.starts.shape[0]
    theta_all = np.stack([np.asarray(v) for v in carry.theta], axis=-1)
    # The carry holds the full-batch gradient at the end points already; only the loss is new.
    loss_h = np.asarray(_final_loss(prep.surface.name)(theta_all, prep.env))[:c, :s]
    alive = np.asarray(carry.alive)[:c, :s]
    theta = theta_all[:c, :s]
    gn = np.hypot(np.asarray(carry.grad[0]), np.asarray(carry.grad[1]))[:c, :s]
    return FinalResult(
        positions=np.where(alive[..., None], theta, np.nan).astype(np.float32),
        loss=np.where(alive, loss_h, np.nan).astype(np.float32),
        grad_norm=np.where(alive, gn, np.nan).astype(np.float32),
        diverged_at=np.asarray(carry.diverged_at)[:c, :s].astype(np.int32),
        starts=prep.starts,
    )


@functools.cache
def _final_loss(name: str):
    full_loss, _, _ = loss_functions(get_surface(name))
    return jax.jit(jax.vmap(jax.vmap(full_loss, in_axes=(0, None)), in_axes=(0, None)))
