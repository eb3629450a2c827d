"""Compiled programs: what a compile key holds, how the jitted init / chunk / final programs of
one key are built, the bounded caches that keep them, and where a run's arrays live (one
device, or the start axis split across several).

What enters a compile key is only what must: the surface, the rule (and an optax rule's
static values), full-batch or not, the padded batch size, the padded start count (a power of
two), the number of configurations (padded to a power of two), the device count.  Steps never
do (every chunk has ``CHUNK_STEPS`` steps; the tail of the last one is computed and dropped)
and no hyperparameter does (they are arrays, see :mod:`errorscape.surfaces.optimizer`).

Divergence: a trajectory diverges at the first recorded step whose position, loss or
gradient is not finite or whose position leaves the surface's bound box.  From that step on
its entries are NaN.  Its state is not frozen: every start is independent, so a diverged one
computes on (with NaN or infinities, at the same speed) without touching any other, and what
it computes is never shown; freezing it would cost one select per state array every step.

A step's cost on a CPU is mostly how many kernels it runs (XLA writes each output array in its
own loop), so the step carries nothing it can derive: a start is alive while its
``diverged_at`` is −1, per-configuration values come from a table built once a chunk (see
rules.Rule), and a chunk runs exactly its steps (no "is this step past the end" test).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from errorscape.surfaces.partials import by_coordinate, value_and_partials
from errorscape.surfaces.problem import Env, Pair, loss_functions
from errorscape.surfaces.registry import Array, Surface, is_registered
from errorscape.surfaces.rules import LECTURE, make_rule
from errorscape.surfaces.sampling import shuffled_index

CHUNK_STEPS = 100
# End-points-only runs go in longer chunks (one call to the program each): nothing is
# streamed, so only the call's fixed cost matters.
FINAL_CHUNK_STEPS = 1000
MIN_BUCKET = 8
# End-points programs of at least this many points (padded starts × configurations, per
# device) carry the gradient from step to step; smaller ones recompute it in every kernel
# that needs it.  Small arrays: a step's cost is its kernel launches, and carrying writes two
# more arrays.  Large ones: the kernels compute, and carrying stops each of them recomputing
# the gradient (bench.final_forms: 1.2–1.5× from 100,000 starts on, level from 10,000 to
# 32,768, mixed at 1,000).
GRADIENT_CARRIED_FROM = 1 << 15


def bucket(n: int) -> int:
    """Starts are padded to the next power of two (at least 8): a handful of shapes in all."""
    return max(MIN_BUCKET, 1 << (int(n) - 1).bit_length())


def config_bucket(n: int) -> int:
    """Configurations are padded to 1, 2, 4 or 8."""
    return 1 << (int(n) - 1).bit_length()


class Sampling(NamedTuple):
    """Each configuration's minibatch: [C] int32 arrays, stacked like the hyperparameters (a
    configuration's batch size is a value, not a shape: changing it compiles nothing unless
    the padded batch grows)."""

    batch: Any
    batches_per_epoch: Any


class Carry(NamedTuple):
    # Vectors are stored as (x, y) pairs of [C, S] arrays: every per-point operation then
    # reads and writes whole contiguous rows, and XLA fuses a step into a few loops instead
    # of one small kernel per slice, transpose and two-element reduction.
    theta: Pair  # ([C, S], [C, S])
    opt: Any  # the rule's per-point state, leaves [C, S, ...] (the lecture's: trace and nu pairs)
    grad: Pair  # full-batch gradient at theta
    diverged_at: Array  # [C, S] int32, -1 while alive
    step: Array  # int32 scalar: updates done


class Record(NamedTuple):
    positions: Array  # [C, S, 2] (one step); the chunk stacks these time-major
    loss: Array
    grad_norm: Array
    test_loss: Array | None  # None for surfaces without a test set


@dataclass(frozen=True)
class KernelKey:
    """A compile key: everything that fixes the shapes and the traced program."""

    surface: str | int  # registry.surface_key: a built-in's name, a run-time surface's identity
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
_KERNEL_CACHE: dict[KernelKey, Any] = {}
_CUSTOM_KERNELS: OrderedDict[KernelKey, Any] = OrderedDict()
_KERNEL_LOCK = threading.Lock()


def kernels(spec: KernelKey, surface: Surface):
    builtin = is_registered(surface)
    with _KERNEL_LOCK:
        if builtin:
            cached = _KERNEL_CACHE.get(spec)
        else:
            entry = _CUSTOM_KERNELS.get(spec)
            cached = None if entry is None else entry[1]
            if entry is not None:
                _CUSTOM_KERNELS.move_to_end(spec)
    if cached is not None:
        return cached
    built = build_kernels(spec, surface)
    with _KERNEL_LOCK:
        if builtin:
            if len(_KERNEL_CACHE) >= KERNEL_CACHE_SIZE:
                _KERNEL_CACHE.clear()
                jax.clear_caches()
            _KERNEL_CACHE[spec] = built
        else:
            _CUSTOM_KERNELS[spec] = (surface, built)  # the surface keeps its identity (the key) unique
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


def build_kernels(spec: KernelKey, surface: Surface):
    """The jitted init / chunk / final functions for one compile key."""
    rule = make_rule(spec.rule)
    full_loss, batch_loss, test_loss = loss_functions(surface)
    bound = np.float32(surface.bound)
    nan = np.float32(np.nan)
    slots = np.arange(spec.batch_pad, dtype=np.uint32)

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

    # One step of one start under one configuration.  Arguments come in three groups, which is
    # how they are batched: the point's own state (per configuration and start), the start's
    # id (per start), the configuration's table row and hyperparameters (per configuration),
    # and what every point shares (the step number, the data).
    def step_gradient(theta: Pair, grad: Pair, start_id: Array, k: Array, sampling: Sampling, env: Env) -> Pair:
        """The gradient update ``k`` follows: the full-batch one (``grad``), or the minibatch's."""
        if spec.full_batch:
            return grad
        # This configuration's batch size (a full-batch configuration among minibatch ones
        # takes the whole data set, one batch an epoch): padded slots weigh 0.
        batch, per_epoch = sampling.batch, sampling.batches_per_epoch
        epoch = (k // per_epoch).astype(jnp.uint32)
        first = ((k % per_epoch) * batch).astype(jnp.uint32)
        idx = shuffled_index(env.seed, start_id, epoch, first + slots, spec.log2_n)
        weights = jnp.where(slots < batch.astype(jnp.uint32), 1.0 / batch.astype(jnp.float32), 0.0)
        mini = batch_grad(*theta, env.table[idx], weights, env)
        # A full-batch configuration takes the exact full-batch gradient, as it would in a
        # run of its own: racing it against a minibatch one changes none of its bits.
        whole = batch >= (1 << spec.log2_n)
        return jnp.where(whole, grad[0], mini[0]), jnp.where(whole, grad[1], mini[1])

    def point_move(point, start_id, config, common):
        """One update, then θ_{k+1}'s loss, gradient and check."""
        theta, opt, grad, div_at = point
        row, hp, sampling = config
        k, env = common
        g = step_gradient(theta, grad, start_id, k, sampling, env)
        delta, opt1 = rule.point_update(g, opt, theta, k, row, hp)
        theta1 = (theta[0] + delta[0], theta[1] + delta[1])
        loss1, grad1, bad = evaluate(theta1, env)
        div_at1 = jnp.where((div_at < 0) & bad, k + 1, div_at)
        return (theta1, opt1, grad1, div_at1), loss1

    def point_step(point, start_id, config, common):
        (theta1, opt1, grad1, div_at1), loss1 = point_move(point, start_id, config, common)
        env = common[1]
        alive1 = div_at1 < 0
        record = Record(
            positions=jnp.stack([jnp.where(alive1, theta1[0], nan), jnp.where(alive1, theta1[1], nan)]),
            loss=jnp.where(alive1, loss1, nan),
            grad_norm=jnp.where(alive1, jnp.sqrt(grad1[0] * grad1[0] + grad1[1] * grad1[1]), nan),
            test_loss=jnp.where(alive1, test_xy(*theta1, env), nan) if spec.has_test else None,
        )
        return (theta1, opt1, grad1, div_at1), record

    def point_step_carried(point, start_id, config, common):
        return point_move(point, start_id, config, common)[0]

    # End points only, two orders of the same arithmetic (the same bits; which one runs is
    # fixed by the key's size, see GRADIENT_CARRIED_FROM).  Small runs: update k first checks
    # θ_k and takes the gradient there, then moves; nothing of θ_{k+1} is evaluated until the
    # next update (or the chunk's end).  No gradient is carried from one step to the next: a
    # step writes two arrays fewer, and XLA recomputes a cheap surface's gradient inside each
    # kernel that uses it.  Large runs: the trajectory's step without its records, the
    # gradient carried (each of the optimizer's state arrays then reads it instead of
    # recomputing it, and θ is no longer copied to be updated in place).
    def point_step_final(point, start_id, config, common):
        theta, opt, div_at = point
        row, hp, sampling = config
        k, env = common
        _, grad, bad = evaluate(theta, env)
        div_at = jnp.where((div_at < 0) & bad, k, div_at)
        g = step_gradient(theta, grad, start_id, k, sampling, env)
        delta, opt1 = rule.point_update(g, opt, theta, k, row, hp)
        return (theta[0] + delta[0], theta[1] + delta[1]), opt1, div_at

    def point_end(theta, div_at, k, env):
        """θ's full-batch gradient and its check at step k: where a chunk of updates stops."""
        _, grad, bad = evaluate(theta, env)
        return grad, jnp.where((div_at < 0) & bad, k, div_at)

    final_step = jax.vmap(jax.vmap(point_step_final, in_axes=(0, 0, None, None)), in_axes=(0, None, 0, None))
    carried_step = jax.vmap(jax.vmap(point_step_carried, in_axes=(0, 0, None, None)), in_axes=(0, None, 0, None))
    carries_gradient = spec.starts_pad * spec.configs_pad // spec.devices >= GRADIENT_CARRIED_FROM
    end_check = jax.vmap(jax.vmap(point_end, in_axes=(0, 0, None, None)), in_axes=(0, 0, None, None))

    # starts: vmapped over S (point state, start ids); configs: over C (point state, config).
    over_starts = jax.vmap(point_step, in_axes=(0, 0, None, None))
    batched_step = jax.vmap(over_starts, in_axes=(0, None, 0, None))

    def advance(carry: Carry, row: Any, start_ids: Array, hp_sampling: Any, env: Env):
        hp, sampling = hp_sampling
        point = (carry.theta, carry.opt, carry.grad, carry.diverged_at)
        (theta, opt, grad, div_at), record = batched_step(point, start_ids, (row, hp, sampling), (carry.step, env))
        return Carry(theta, opt, grad, div_at, carry.step + 1), record

    def point_init(theta, env):
        pair = (theta[0], theta[1])
        loss, grad, bad = evaluate(pair, env)
        record = Record(
            positions=jnp.where(bad, nan, theta),
            loss=jnp.where(bad, nan, loss),
            grad_norm=jnp.where(bad, nan, jnp.sqrt(grad[0] * grad[0] + grad[1] * grad[1])),
            test_loss=jnp.where(bad, nan, test_loss(theta, env)) if spec.has_test else None,
        )
        return grad, jnp.where(bad, 0, -1).astype(jnp.int32), record

    init_over_starts = jax.vmap(point_init, in_axes=(0, None))

    # The rule's per-point state: vmapped over starts (theta, id) and configurations (hp).
    opt_init = jax.vmap(jax.vmap(rule.point_init, in_axes=(0, 0, None)), in_axes=(None, None, 0))

    def init_body(starts: Array, start_ids: Array, hp_sampling: Any, env: Env):
        hp, _ = hp_sampling
        grad, div_at, record = init_over_starts(starts, env)
        c = jax.tree.leaves(hp)[0].shape[0]

        def tile(x):
            return jnp.broadcast_to(x, (c, *x.shape))

        def tile_vector(x):  # [S, 2] -> ([C, S], [C, S])
            return tile(x[:, 0]), tile(x[:, 1])

        grad = tile(grad[0]), tile(grad[1])
        opt = opt_init((starts[:, 0], starts[:, 1]), start_ids, hp)
        carry = Carry(tile_vector(starts), opt, grad, tile(div_at), jnp.zeros((), jnp.int32))
        return carry, jax.tree.map(tile, record)

    def steps_and_table(carry: Carry, k_end: Array, rows: Any, hp_sampling: Any, length: int):
        """How many of the chunk's ``length`` steps run (all but in the last chunk), and the
        rule's table for them, computed at once."""
        ks = carry.step + jnp.arange(length, dtype=jnp.int32)
        return jnp.clip(k_end - carry.step, 0, length), rule.table(ks, rows, hp_sampling[0])

    # A step index is never negative: indexing without Python's negative-index wrap saves
    # the step a scalar kernel (the select that would normalise the index).
    def table_row(table: Any, i: Array) -> Any:
        return jax.tree.map(lambda t: jax.lax.dynamic_index_in_dim(t, i, 0, keepdims=False, allow_negative_indices=False), table)

    def chunk_body(carry: Carry, buffers: Record, start_ids: Array, k_end: Array, hp: Any, env: Env, rows: Any):
        n, table = steps_and_table(carry, k_end, rows, hp, CHUNK_STEPS)

        def body(i, state):
            c, bufs = state
            row = table_row(table, i)
            c, record = advance(c, row, start_ids, hp, env)
            bufs = jax.tree.map(
                lambda b, r: jax.lax.dynamic_update_slice(b, r[None], (i, *([0] * r.ndim)), allow_negative_indices=False), bufs, record
            )
            return c, bufs

        return jax.lax.fori_loop(0, n, body, (carry, buffers))

    def final_body(carry: Carry, start_ids: Array, k_end: Array, hp: Any, env: Env, rows: Any):
        _, table = steps_and_table(carry, k_end, rows, hp, FINAL_CHUNK_STEPS)
        k0 = carry.step
        stop = jnp.minimum(k_end, k0 + FINAL_CHUNK_STEPS)

        # One counter (the step number) drives the loop and indexes the table.
        def row_at(k):
            return table_row(table, k - k0)

        if carries_gradient:

            def carried_body(state):
                point, k = state
                return carried_step(point, start_ids, (row_at(k), *hp), (k, env)), k + 1

            point = (carry.theta, carry.opt, carry.grad, carry.diverged_at)
            (theta, opt, grad, div_at), k = jax.lax.while_loop(lambda st: st[1] < stop, carried_body, (point, k0))
            return Carry(theta, opt, grad, div_at, k)

        def body(state):
            theta, opt, div_at, k = state
            return (*final_step((theta, opt, div_at), start_ids, (row_at(k), *hp), (k, env)), k + 1)

        theta, opt, div_at, k = jax.lax.while_loop(lambda st: st[3] < stop, body, (carry.theta, carry.opt, carry.diverged_at, k0))
        grad, div_at = end_check(theta, div_at, k, env)
        return Carry(theta, opt, grad, div_at, k)

    if spec.devices > 1:
        # Several devices: each runs the very program one device would, on its slice of the
        # starts (shard_map, not the automatic partitioner, whose rewritten program may round
        # differently), so a sharded run equals the one-device run bit for bit.
        mesh = Mesh(np.asarray(jax.devices()[: spec.devices]), ("starts",))
        # Partition specs shaped like the pytrees they describe (the NamedTuples hold specs here).
        by_start: Any = PartitionSpec(None, "starts")
        whole: Any = PartitionSpec()
        by_start_t: Any = PartitionSpec(None, None, "starts")  # [K, C, S, ...] record buffers
        carry_spec = Carry(by_start, by_start, by_start, by_start, whole)
        row_spec = Record(by_start, by_start, by_start, by_start if spec.has_test else None)
        buffer_spec = Record(by_start_t, by_start_t, by_start_t, by_start_t if spec.has_test else None)
        ids = PartitionSpec("starts")
        init_body = jax.shard_map(init_body, mesh=mesh, in_specs=(ids, ids, whole, whole), out_specs=(carry_spec, row_spec))
        chunk_body = jax.shard_map(
            chunk_body, mesh=mesh, in_specs=(carry_spec, buffer_spec, ids, whole, whole, whole, whole), out_specs=(carry_spec, buffer_spec)
        )
        final_body = jax.shard_map(final_body, mesh=mesh, in_specs=(carry_spec, ids, whole, whole, whole, whole), out_specs=carry_spec)

    init = jax.jit(init_body)
    if spec.rule[0] == LECTURE[0] and spec.rule != LECTURE:
        # The lecture rule's state starts at zero whatever its modes: a program specialised on
        # them starts from the general program's init (one compilation fewer per key).
        init = kernels(replace(spec, rule=LECTURE), surface)[0]
    # The chunk writes its records into buffers it is handed back every time (donated):
    # a scan's stacked output would be a fresh allocation per chunk, and on a CPU first
    # touching fresh memory costs more than computing the steps.  The carry (a few arrays of
    # C × S) is not donated: the stream reads a chunk's diverged_at while the next one runs.
    chunk = jax.jit(chunk_body, donate_argnums=(1,))
    final = jax.jit(final_body, donate_argnums=(0,))
    return init, chunk, final


class Layout:
    """Where arrays live: on the default device, or — when several devices are visible — with
    the start axis split across all of them (every start is independent, so the split needs no
    communication) and everything else replicated."""

    def __init__(self, n_starts_padded: int) -> None:
        self.devices = shard_count(n_starts_padded)
        self.mesh: Mesh | None = None
        if self.devices > 1:
            self.mesh = Mesh(np.asarray(jax.devices()[: self.devices]), ("starts",))

    def replicated(self, tree: Any) -> Any:
        """Put a run's small values (hyperparameters, the surface's data, a chunk's table).
        On one device they stay host arrays: a jitted call takes them at next to no cost,
        where ``device_put`` costs ~25 µs a leaf in Python (0.5 ms a run, a tenth of a
        1,000 × 1,000 end-points run)."""
        if self.mesh is None:
            return tree
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
