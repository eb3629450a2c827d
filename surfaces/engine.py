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

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from surfaces import optimizer
from surfaces.optax_rules import OptaxConfig, optax_config, per_start, transformation
from surfaces.optimizer import Hyperparams, OptimizerConfig, OptState
from surfaces.registry import DATA_SEED, Array, Surface, Tensor, get_surface, is_registered, surface_cache
from surfaces.sampling import grid_starts, random_starts, shuffled_index

Config = OptimizerConfig | OptaxConfig

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


def resolve_optimizers(optimizers: Any) -> list[Config]:
    """Configurations of the lecture's rule (a preset name, a mapping, an OptimizerConfig) or
    of optax's optimizers (``{"optax": "lion", "hyper": {...}}`` or an OptaxConfig)."""
    if isinstance(optimizers, (str, Mapping, OptimizerConfig, OptaxConfig)):
        optimizers = [optimizers]
    if not isinstance(optimizers, Sequence) or not 1 <= len(optimizers) <= MAX_CONFIGS:
        raise ValueError(f"optimizers: expected a list of 1 to {MAX_CONFIGS} configurations")
    configs: list[Config] = []
    for i, spec in enumerate(optimizers):
        try:
            if isinstance(spec, OptaxConfig):
                configs.append(spec)
            elif isinstance(spec, Mapping) and "optax" in spec:
                unknown = set(spec) - {"optax", "hyper"}
                if unknown:
                    raise ValueError(f"{sorted(unknown)[0]}: unknown field of an optax configuration (fields: optax, hyper)")
                hyper = spec.get("hyper") or {}
                if not isinstance(hyper, Mapping):
                    raise ValueError("hyper: expected a mapping of hyperparameter names to values")
                configs.append(optax_config(spec["optax"], hyper))
            else:
                configs.append(optimizer.as_config(spec))
        except ValueError as err:
            raise ValueError(f"optimizers[{i}].{str(err).removeprefix('optimizer.')}") from None
    return configs


def rule_key(config: Config) -> tuple:
    """Configurations with equal keys run in one compiled program (vmapped over configs)."""
    return config.kernel_key if isinstance(config, OptaxConfig) else ("lecture",)


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
    opt: Any  # the rule's per-point state, leaves [C, S, ...] (the lecture's: trace and nu pairs)
    grad: Pair  # full-batch gradient at theta
    alive: Array  # [C, S] bool
    diverged_at: Array  # [C, S] int32, -1 while alive
    step: Array  # int32 scalar: updates done
    shared: Any  # the rule's per-configuration state, leaves [C] (the lecture's: β₁^step, β₂^step)


class Rule(NamedTuple):
    """How one family of optimizers plugs into the step: per-point state (vmapped over configs
    and starts) and per-configuration state shared by all starts."""

    point_init: Any  # (theta Pair, start id, hp) -> opt
    shared_init: Any  # (hp, leaves [C]) -> shared
    point_update: Any  # (grad Pair, opt, theta Pair, k, shared, hp) -> (step Pair, opt)
    shared_next: Any  # (shared, hp [C]) -> shared


def lecture_rule() -> Rule:
    """The lecture's rule: element-wise, so one update per coordinate of the pair."""

    def point_init(theta: Pair, start_id: Array, hp: Hyperparams) -> Any:
        zero = jnp.zeros_like(theta[0])
        return (zero, zero), (zero, zero)

    def shared_init(hp: Hyperparams) -> Pair:
        one = jnp.ones_like(hp.lr)
        return one, one

    def point_update(g: Pair, opt: Any, theta: Pair, k: Array, shared: Pair, hp: Hyperparams) -> tuple[Pair, Any]:
        trace, nu = opt
        steps = [optimizer.update(g[i], OptState(k, trace[i], nu[i], *shared), hp) for i in range(2)]
        new_opt = (steps[0][1].trace, steps[1][1].trace), (steps[0][1].nu, steps[1][1].nu)
        return (steps[0][0], steps[1][0]), new_opt

    def shared_next(shared: Pair, hp: Hyperparams) -> Pair:
        return optimizer.next_powers(*shared, hp)

    return Rule(point_init, shared_init, point_update, shared_next)


def optax_rule(name: str, static: tuple) -> Rule:
    """An optax optimizer on θ as one vector of two, its hyperparameters injected (traced)."""

    def point_init(theta: Pair, start_id: Array, hp: dict[str, Array]) -> Any:
        return per_start(transformation(name, static, hp).init(jnp.stack(theta)), start_id)

    def point_update(g: Pair, opt: Any, theta: Pair, k: Array, shared: Any, hp: dict[str, Array]) -> tuple[Pair, Any]:
        updates, opt = transformation(name, static, hp).update(jnp.stack(g), opt, jnp.stack(theta))
        return (updates[0], updates[1]), opt

    return Rule(point_init, lambda hp: (), point_update, lambda shared, hp: ())


def make_rule(key: tuple) -> Rule:
    return lecture_rule() if key == ("lecture",) else optax_rule(key[1], key[2])


class Record(NamedTuple):
    positions: Array  # [C, S, 2] (one step); the chunk stacks these time-major
    loss: Array
    grad_norm: Array
    test_loss: Array | None  # None for surfaces without a test set


@dataclass(frozen=True)
class _Kernel:
    """A compile key: everything that fixes the shapes and the traced program."""

    surface: str
    rule: tuple  # rule_key of the configurations it runs
    full_batch: bool
    batch_pad: int
    log2_n: int
    has_test: bool
    starts_pad: int
    configs_pad: int
    devices: int  # > 1: the start axis is split across this many devices


# Compiled kernels kept at once.  Every key is one set of shapes, so this bounds the
# executables held in memory under any mix of requests; past it everything compiled is
# dropped (jax.clear_caches) and the shapes in use compile again.  Kernels of custom
# surfaces (typed formulas) have their own smaller LRU, so a flood of formulas neither
# grows memory nor evicts the built-in surfaces' programs.
KERNEL_CACHE_SIZE = 64
CUSTOM_KERNEL_CACHE_SIZE = 16
_KERNEL_CACHE: dict[_Kernel, Any] = {}
_CUSTOM_KERNELS: OrderedDict[_Kernel, Any] = OrderedDict()
_KERNEL_LOCK = threading.Lock()


def _kernels(spec: _Kernel, surface: Surface):
    builtin = is_registered(surface)
    with _KERNEL_LOCK:
        cached = _KERNEL_CACHE.get(spec) if builtin else _CUSTOM_KERNELS.get(spec)
        if cached is not None and not builtin:
            _CUSTOM_KERNELS.move_to_end(spec)
    if cached is not None:
        return cached
    built = _build_kernels(spec, surface)
    with _KERNEL_LOCK:
        if builtin:
            if len(_KERNEL_CACHE) >= KERNEL_CACHE_SIZE:
                _KERNEL_CACHE.clear()
                jax.clear_caches()
            _KERNEL_CACHE[spec] = built
        else:
            _CUSTOM_KERNELS[spec] = built
            while len(_CUSTOM_KERNELS) > CUSTOM_KERNEL_CACHE_SIZE:
                _CUSTOM_KERNELS.popitem(last=False)
    return built


def clear_compiled() -> None:
    """Forget every compiled kernel (they compile again on next use)."""
    with _KERNEL_LOCK:
        _KERNEL_CACHE.clear()
        _CUSTOM_KERNELS.clear()
    jax.clear_caches()


def compiled_kernel_count() -> int:
    return len(_KERNEL_CACHE) + len(_CUSTOM_KERNELS)


def custom_kernel_count() -> int:
    return len(_CUSTOM_KERNELS)


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


def _build_kernels(spec: _Kernel, surface: Surface):
    """The jitted init / chunk / final functions for one compile key."""
    rule = make_rule(spec.rule)
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

    def point_step(theta: Pair, opt, grad: Pair, alive, div_at, start_id, k, shared, k_end, hp, env):
        if spec.full_batch:
            g = grad
        else:
            epoch = (k // env.batches_per_epoch).astype(jnp.uint32)
            first = ((k % env.batches_per_epoch) * env.batch).astype(jnp.uint32)
            idx = shuffled_index(env.seed, start_id, epoch, first + slots, spec.log2_n)
            weights = jnp.where(slots < env.batch.astype(jnp.uint32), 1.0 / env.batch.astype(jnp.float32), 0.0)
            g = batch_grad(*theta, env.table[idx], weights, env)
        delta, opt1 = rule.point_update(g, opt, theta, k, shared, hp)
        theta1 = (theta[0] + delta[0], theta[1] + delta[1])
        loss1, grad1, bad = evaluate(theta1, env)
        active = k < k_end
        newly = alive & bad & active
        alive1 = alive & ~newly
        keep = alive1 & active

        def kept(new: Any, old: Any) -> Any:
            return jax.tree.map(lambda a, b: jnp.where(keep, a, b), new, old)

        record = Record(
            positions=jnp.stack([jnp.where(alive1, theta1[0], nan), jnp.where(alive1, theta1[1], nan)]),
            loss=jnp.where(alive1, loss1, nan),
            grad_norm=jnp.where(alive1, jnp.sqrt(grad1[0] * grad1[0] + grad1[1] * grad1[1]), nan),
            test_loss=jnp.where(alive1, test_xy(*theta1, env), nan) if spec.has_test else None,
        )
        new = (
            kept(theta1, theta),
            kept(opt1, opt),
            kept(grad1, grad),
            alive1,
            jnp.where(newly, k + 1, div_at),
        )
        return new, record

    # starts: vmapped over S (state, start ids); configs: vmapped over C (state, hyperparams).
    over_starts = jax.vmap(point_step, in_axes=(0, 0, 0, 0, 0, 0, None, None, None, None, None))
    batched_step = jax.vmap(over_starts, in_axes=(0, 0, 0, 0, 0, None, None, 0, None, 0, None))

    def advance(carry: Carry, start_ids: Array, k_end: Array, hp: Any, env: Env):
        (theta, opt, grad, alive, div_at), record = batched_step(
            carry.theta,
            carry.opt,
            carry.grad,
            carry.alive,
            carry.diverged_at,
            start_ids,
            carry.step,
            carry.shared,
            k_end,
            hp,
            env,
        )
        shared = rule.shared_next(carry.shared, hp)
        return Carry(theta, opt, grad, alive, div_at, carry.step + 1, shared), record

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

    # The rule's per-point state: vmapped over starts (theta, id) and configurations (hp).
    opt_init = jax.vmap(jax.vmap(rule.point_init, in_axes=(0, 0, None)), in_axes=(None, None, 0))

    def init_body(starts: Array, start_ids: Array, hp: Any, env: Env):
        grad, alive, div_at, record = init_over_starts(starts, env)
        c = jax.tree.leaves(hp)[0].shape[0]

        def tile(x):
            return jnp.broadcast_to(x, (c, *x.shape))

        def tile_vector(x):  # [S, 2] -> ([C, S], [C, S])
            return tile(x[:, 0]), tile(x[:, 1])

        grad = tile(grad[0]), tile(grad[1])
        opt = opt_init((starts[:, 0], starts[:, 1]), start_ids, hp)
        shared = rule.shared_init(hp)
        carry = Carry(tile_vector(starts), opt, grad, tile(alive), tile(div_at), jnp.zeros((), jnp.int32), shared)
        return carry, jax.tree.map(tile, record)

    def chunk_body(carry: Carry, buffers: Record, start_ids: Array, k_end: Array, hp: Any, env: Env):
        def body(i, state):
            c, bufs = state
            c, record = advance(c, start_ids, k_end, hp, env)
            bufs = jax.tree.map(lambda b, r: jax.lax.dynamic_update_index_in_dim(b, r, i, 0), bufs, record)
            return c, bufs

        return jax.lax.fori_loop(0, CHUNK_STEPS, body, (carry, buffers))

    def final_body(carry: Carry, start_ids: Array, k_end: Array, hp: Any, env: Env):
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
        carry_spec = Carry(by_start, by_start, by_start, by_start, by_start, whole, whole)
        row_spec = Record(by_start, by_start, by_start, by_start if spec.has_test else None)
        buffer_spec = Record(by_start_t, by_start_t, by_start_t, by_start_t if spec.has_test else None)
        ids = PartitionSpec("starts")
        init_body = jax.shard_map(init_body, mesh=mesh, in_specs=(ids, ids, whole, whole), out_specs=(carry_spec, row_spec))
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
    configs: tuple[Config, ...]


@dataclass(frozen=True)
class _Group:
    """Configurations that share one compiled program (one rule, see rule_key)."""

    indices: tuple[int, ...]  # their places in the request's list
    kernels: Any
    hp: Any  # Hyperparams (lecture) or a dict of arrays (optax), leaves [C padded]


@dataclass(frozen=True)
class _Prepared:
    surface: Surface
    configs: tuple[Config, ...]
    starts: np.ndarray
    steps: int
    groups: tuple[_Group, ...]
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
    s = start_arr.shape[0]
    s_pad = bucket(s)
    starts_pad = np.concatenate([start_arr, np.repeat(start_arr[:1], s_pad - s, axis=0)])
    layout = _Layout(s_pad)

    by_rule: dict[tuple, list[int]] = {}
    for i, c in enumerate(configs):
        by_rule.setdefault(rule_key(c), []).append(i)
    groups = []
    for key, indices in by_rule.items():
        # Configurations are padded to a power of two (repeating the first) like starts.
        hp_host = [configs[i].hyperparams() for i in indices]
        hp_host += hp_host[:1] * (config_bucket(len(indices)) - len(indices))
        stacked = {f: np.stack([h[f] for h in hp_host]) for f in hp_host[0]}
        hp = Hyperparams(**stacked) if key == ("lecture",) else stacked
        spec = _Kernel(
            surface=surface.name,
            rule=key,
            full_batch=full_batch,
            batch_pad=1 if full_batch else 1 << (batch - 1).bit_length(),
            log2_n=log2_n,
            has_test=data.test is not None,
            starts_pad=s_pad,
            configs_pad=len(hp_host),
            devices=layout.devices,
        )
        groups.append(_Group(indices=tuple(indices), kernels=_kernels(spec, surface), hp=layout.replicated(hp)))
    return _Prepared(
        surface=surface,
        configs=configs,
        starts=start_arr,
        steps=steps,
        groups=tuple(groups),
        env=layout.replicated(env),
        starts_pad=layout.by_start(starts_pad, 0),
        start_ids=layout.by_start(np.arange(s_pad, dtype=np.uint32), 0),
        has_test=spec.has_test,
        layout=layout,
    )


def make_env(surface: Surface, params: Mapping[str, float], data_seed: int, seed: int = 0, batch: int | None = None) -> Env:
    """The host-side environment of a run (checked parameters, the data set, sampling)."""
    table, full, test = data_arrays(surface, data_seed)
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


def _stream(prep: _Prepared) -> Iterator[Chunk]:
    """Chunks whose arrays are views of device buffers, valid until the next chunk is asked
    for.  A consumer must drop them before asking: a live view makes the next chunk allocate
    new buffers instead of reusing these.  Configurations of different rules run as separate
    programs in lockstep; their chunks are joined in the request's order (a copy)."""
    streams = [_group_stream(prep, g) for g in prep.groups]
    if len(streams) == 1:
        yield from streams[0]
        return
    order = np.argsort(np.concatenate([g.indices for g in prep.groups]))
    for parts in zip(*streams, strict=True):
        yield _joined(parts, order)
        del parts


def _joined(parts: Sequence[Chunk], order: np.ndarray) -> Chunk:
    def join(arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(arrays, axis=1)[:, order]

    first = parts[0]
    return Chunk(
        t0=first.t0,
        t1=first.t1,
        positions=join([p.positions for p in parts]),
        loss=join([p.loss for p in parts]),
        grad_norm=join([p.grad_norm for p in parts]),
        test_loss=None if first.test_loss is None else join([p.test_loss for p in parts]),  # type: ignore[misc]
        diverged_at=np.concatenate([p.diverged_at for p in parts], axis=0)[order],
    )


def _group_stream(prep: _Prepared, group: _Group) -> Iterator[Chunk]:
    init, chunk, _ = group.kernels
    c, s = len(group.indices), prep.starts.shape[0]
    carry, record = init(prep.starts_pad, prep.start_ids, group.hp, prep.env)
    yield _to_chunk(0, 1, jax.tree.map(lambda x: np.asarray(x)[None], record), carry.diverged_at, c, s)
    # Record buffers are [K, C, S, ...]: the start axis is axis 2.
    buffers = prep.layout.by_start(jax.tree.map(lambda r: np.empty((CHUNK_STEPS, *r.shape), r.dtype), record), 2)
    k_end = prep.layout.replicated(np.int32(prep.steps))
    t = 1
    while t <= prep.steps:
        carry, buffers = chunk(carry, buffers, prep.start_ids, k_end, group.hp, prep.env)
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
    parts = [_group_final(prep, g) for g in prep.groups]
    order = np.argsort(np.concatenate([g.indices for g in prep.groups]))

    def join(i: int) -> np.ndarray:
        return np.concatenate([p[i] for p in parts], axis=0)[order]

    positions, loss, grad_norm, diverged_at = (join(i) for i in range(4))
    return FinalResult(positions=positions, loss=loss, grad_norm=grad_norm, diverged_at=diverged_at, starts=prep.starts)


def _group_final(prep: _Prepared, group: _Group) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    init, _, final = group.kernels
    carry, _ = init(prep.starts_pad, prep.start_ids, group.hp, prep.env)
    carry = final(carry, prep.start_ids, prep.layout.replicated(np.int32(prep.steps)), group.hp, prep.env)
    c, s = len(group.indices), prep.starts.shape[0]
    theta_all = np.stack([np.asarray(v) for v in carry.theta], axis=-1)
    # The carry holds the full-batch gradient at the end points already; only the loss is new.
    loss_h = np.asarray(_final_loss(prep.surface)(theta_all, prep.env))[:c, :s]
    alive = np.asarray(carry.alive)[:c, :s]
    theta = theta_all[:c, :s]
    gn = np.hypot(np.asarray(carry.grad[0]), np.asarray(carry.grad[1]))[:c, :s]
    return (
        np.where(alive[..., None], theta, np.nan).astype(np.float32),
        np.where(alive, loss_h, np.nan).astype(np.float32),
        np.where(alive, gn, np.nan).astype(np.float32),
        np.asarray(carry.diverged_at)[:c, :s].astype(np.int32),
    )


@surface_cache(custom_size=8)
def _final_loss(surface: Surface):
    full_loss, _, _ = loss_functions(surface)
    return jax.jit(jax.vmap(jax.vmap(full_loss, in_axes=(0, None)), in_axes=(0, None)))
