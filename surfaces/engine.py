"""Runs many starts under several optimizer configurations at once: the entry points.

Shape of the computation: ``jax.vmap`` over configurations [C] and starts [S], ``lax.scan``
over a fixed chunk of steps, chunks chained on the host with the state carried over (see
:mod:`errorscape.surfaces.kernels` for the compiled programs, :mod:`~errorscape.surfaces.problem`
for the data and losses, :mod:`~errorscape.surfaces.rules` for the optimizers).  A run is
described by a :class:`RunSpec`; :func:`prepare` checks it and puts it on the device; the
three entry points consume it: :func:`simulate` (whole trajectories), :func:`simulate_chunks`
(a stream of chunks) and :func:`simulate_final` (end points only).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.kernels import CHUNK_STEPS, FINAL_CHUNK_STEPS, KernelKey, Layout, Record, Sampling, bucket, config_bucket, kernels
from errorscape.surfaces.limits import MAX_CONFIGS, MAX_SEED, MAX_STEPS
from errorscape.surfaces.problem import Env, check_int, final_loss, make_env, resolve_params, resolve_starts
from errorscape.surfaces.registry import DATA_SEED, Array, Surface, get_surface, surface_key
from errorscape.surfaces.rules import Config, Rule, make_rule, resolve_optimizers, rule_key

__all__ = [
    "CHUNK_STEPS",
    "MAX_CONFIGS",
    "Chunk",
    "FinalResult",
    "RunResult",
    "RunSpec",
    "prepare",
    "simulate",
    "simulate_chunks",
    "simulate_final",
]

# From this many starts a run is throughput work (a basin map, a study from a notebook), not a
# page's interactive run: the engine picks the programs specialised on the modes.
SPECIALISED_FROM_STARTS = 10_000
# Trajectory runs whose record buffers for one chunk take at most this many bytes keep two
# sets of them, so the host reads one chunk while the next is computed (bench/RESULTS.md:
# 1.3–1.4× for 1,000 to 30,000 starts); larger runs keep one set and their memory as it was.
OVERLAP_MAX_BYTES = 128 << 20


_ARGUMENTS = f"""
    Arguments (shared by the three entry points):
      surface: a surface name (``surface_names()``) or a :class:`Surface` (``custom_surface``).
      optimizers: one configuration or a list of 1 to 8: a preset name (``"adam"``), a mapping
        of the lecture rule's fields (``{{"preset": "momentum", "lam": 0.5}}``, see
        ``OptimizerConfig``), an ``OptimizerConfig``, or an optax optimizer
        (``{{"optax": "lion", "hyper": {{"learning_rate": 0.01}}}}``, names in ``OPTAX_OPTIMIZERS``).
      starts: None (the surface's default starts), an (S, 2) array of points inside the
        surface's bound, ``{{"grid": n}}`` (n × n points over the domain) or ``{{"random": n}}``.
      steps: updates per start, 1 to 100,000.
      batch_size: examples per update, 1 to the surface's data set size; None is full batch; a
        list gives each configuration its own (``[None, 1]`` races full batch against batch 1).
      seed: the minibatch order and random starts, 0 to 2**32 − 1.
      surface_params: the surface's parameters by name (``{{"kappa": 100}}``); others keep their
        defaults.
      data_seed: the data set the surface is a mean over.
      specialise: which compiled programs run the lecture's rule: True, programs specialised on
        its momentum and σ modes (faster; a new pair of modes compiles once); False, the general
        program (a change of any toggle compiles nothing: interactive use); None, the engine
        chooses (specialised from {SPECIALISED_FROM_STARTS:,} starts and for end points only).  Same results.
    Bad arguments raise :class:`FieldError` (a ``ValueError``) naming the field.
"""


@dataclass(frozen=True)
class RunSpec:
    """What a run is, as its caller said it (checked by :func:`prepare`)."""

    surface: str | Surface
    optimizers: Any
    starts: Any = None
    steps: int = 100
    batch_size: int | Sequence[int | None] | None = None
    seed: int = 0
    surface_params: Mapping[str, Any] | None = None
    data_seed: int = DATA_SEED
    # Which kind of compiled program runs the lecture's rule (see rules.rule_key): the general
    # one, where every toggle is a value (a slider or a toggle compiles nothing: interactive
    # runs), or one specialised on the momentum and σ modes (fewer operations and kernels per
    # step: runs where throughput matters).  Both give the same bits.  None: the engine
    # chooses (specialised from SPECIALISED_FROM_STARTS starts, and for end points only).
    specialise: bool | None = None


@dataclass(frozen=True)
class Chunk:
    """Steps [t0, t1) of a run, time-major: positions [t1 − t0, C, S, 2], loss, grad_norm and
    test_loss [t1 − t0, C, S] (test_loss None without a test set); NaN once diverged."""

    t0: int
    t1: int
    positions: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    test_loss: np.ndarray | None
    diverged_at: np.ndarray  # [C, S] as of t1 − 1; −1 for still finite


@dataclass(frozen=True)
class RunResult:
    """A whole run, config-major: C configurations, T steps, S starts.  ``positions[c, t, s]``
    is where start ``s`` is after ``t`` updates under configuration ``c`` (t = 0: the start);
    entries after a start diverged are NaN, and ``diverged_at[c, s]`` is that step (−1: never).
    ``test_loss`` is None for surfaces without a test set."""

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
    kernel_key: KernelKey
    kernels: Any
    hp: Any  # (hyperparameters, Sampling): Hyperparams (lecture) or a dict (optax), leaves [C padded]
    rule: Rule
    hp_host: Any  # the hyperparameters on the host (NumPy), for the rule's host rows


@dataclass(frozen=True)
class Prepared:
    surface: Surface
    configs: tuple[Config, ...]
    starts: np.ndarray
    steps: int
    groups: tuple[_Group, ...]
    env: Env
    starts_pad: Array
    start_ids: Array
    has_test: bool
    layout: Layout


def batch_sizes(batch_size: Any, configs: int, n: int) -> list[int]:
    """Each configuration's batch size: one for all (an integer, or None for the full data set
    of n examples) or a list with one per configuration (each an integer or None)."""
    if isinstance(batch_size, (list, tuple)):
        if len(batch_size) != configs:
            raise FieldError(("batch_size",), f"expected one batch size, or a list of one per configuration ({configs})")
        return [n if b is None else check_int(f"batch_size.{i}", b, 1, n) for i, b in enumerate(batch_size)]
    return [n if batch_size is None else check_int("batch_size", batch_size, 1, n)] * configs


def prepare(spec: RunSpec) -> Prepared:
    """The run checked (FieldError names a bad field), its programs compiled or found in the
    caches, and its arrays on the device."""
    surface = get_surface(spec.surface)
    params = resolve_params(surface, spec.surface_params)
    configs = tuple(resolve_optimizers(spec.optimizers))
    seed = check_int("seed", spec.seed, 0, MAX_SEED)
    steps = check_int("steps", spec.steps, 1, MAX_STEPS)
    start_arr = resolve_starts(surface, spec.starts, seed)
    data_seed = check_int("data_seed", spec.data_seed, 0, MAX_SEED)
    data = surface.data(data_seed)
    n = data.train.shape[0]
    batches = batch_sizes(spec.batch_size, len(configs), n)
    full_batch = all(b == n for b in batches)
    # The padded minibatch holds the largest minibatch: a whole-batch configuration racing
    # minibatch ones takes the full-batch gradient and never reads it (padding to its n
    # would evaluate n examples a step for every start of every configuration).
    batch_pad = 1 if full_batch else 1 << (max(b for b in batches if b < n) - 1).bit_length()
    log2_n = n.bit_length() - 1
    if 1 << log2_n != n:
        raise ValueError(f"surface {surface.name!r}: its data set size {n} is not a power of two")

    env = make_env(surface, params, data_seed, seed=seed)
    s = start_arr.shape[0]
    s_pad = bucket(s)
    starts_pad = np.concatenate([start_arr, np.repeat(start_arr[:1], s_pad - s, axis=0)])
    layout = Layout(s_pad)

    if spec.specialise is not None and not isinstance(spec.specialise, bool):
        raise FieldError(("specialise",), "expected True, False or None")
    specialise = s >= SPECIALISED_FROM_STARTS if spec.specialise is None else spec.specialise
    by_rule: dict[tuple, list[int]] = {}
    for i, c in enumerate(configs):
        by_rule.setdefault(rule_key(c, specialise), []).append(i)
    groups = []
    for key, indices in by_rule.items():
        # Configurations are padded to a power of two (repeating the first) like starts.
        hp_host = [configs[i].hyperparams() for i in indices]
        hp_host += hp_host[:1] * (config_bucket(len(indices)) - len(indices))
        rule = make_rule(key)
        hp = rule.stack(hp_host)  # NumPy
        group_batches = [batches[i] for i in indices]
        group_batches += group_batches[:1] * (len(hp_host) - len(indices))
        sampling = Sampling(np.array(group_batches, np.int32), np.array([n // b for b in group_batches], np.int32))
        kernel_key = KernelKey(
            surface=surface_key(surface),
            rule=key,
            full_batch=full_batch,
            batch_pad=batch_pad,
            log2_n=log2_n,
            has_test=data.test is not None,
            starts_pad=s_pad,
            configs_pad=len(hp_host),
            devices=layout.devices,
        )
        groups.append(
            _Group(
                indices=tuple(indices),
                kernel_key=kernel_key,
                kernels=kernels(kernel_key, surface),
                hp=layout.replicated((hp, sampling)),
                rule=rule,
                hp_host=hp,
            )
        )
    return Prepared(
        surface=surface,
        configs=configs,
        starts=start_arr,
        steps=steps,
        groups=tuple(groups),
        env=layout.replicated(env),
        starts_pad=layout.by_start(starts_pad, 0),
        start_ids=layout.by_start(np.arange(s_pad, dtype=np.uint32), 0),
        has_test=data.test is not None,
        layout=layout,
    )


def _stream(prep: Prepared) -> Iterator[Chunk]:
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


def _group_stream(prep: Prepared, group: _Group) -> Iterator[Chunk]:
    init, chunk, _ = group.kernels
    c, s = len(group.indices), prep.starts.shape[0]
    carry, record = init(prep.starts_pad, prep.start_ids, group.hp, prep.env)
    yield _to_chunk(0, 1, jax.tree.map(lambda x: np.asarray(x)[None], record), carry.diverged_at, c, s)

    # Record buffers are [K, C, S, ...]: the start axis is axis 2.
    def buffer_set() -> Record:
        return prep.layout.by_start(jax.tree.map(lambda r: np.empty((CHUNK_STEPS, *r.shape), r.dtype), record), 2)

    # Two sets of record buffers where they are small: chunk j + 1 is computed into one while
    # the consumer reads chunk j from the other, so the host's copy of a chunk overlaps the
    # device's work on the next.  One set past OVERLAP_MAX_BYTES (the chunks then alternate).
    size = sum(CHUNK_STEPS * r.nbytes for r in jax.tree.leaves(record))
    sets = [buffer_set() for _ in range(2 if size <= OVERLAP_MAX_BYTES else 1)]
    k_end = prep.layout.replicated(np.int32(prep.steps))
    # Chunks computed and not yet handed out: with two sets, chunk j waits while j + 1 runs.
    waiting: deque[tuple[int, int, Record, Array]] = deque()
    t = 1
    for j, rows in enumerate(_table_rows(prep, group, CHUNK_STEPS)):
        # Chunk j overwrites the set chunk j − len(sets) was read from: its consumer has
        # dropped that chunk's views by now (see _stream), so the buffers are reused.  The
        # carry is not donated (only the buffers are): a waiting chunk's diverged_at stays
        # readable while the next chunk runs.
        carry, sets[j % len(sets)] = chunk(carry, sets[j % len(sets)], prep.start_ids, k_end, group.hp, prep.env, rows)
        t1 = min(t + CHUNK_STEPS, prep.steps + 1)
        waiting.append((t, t1, sets[j % len(sets)], carry.diverged_at))
        if len(waiting) == len(sets):
            yield _to_chunk(*waiting.popleft(), c, s)
        t = t1
    while waiting:
        yield _to_chunk(*waiting.popleft(), c, s)


def _table_rows(prep: Prepared, group: _Group, length: int) -> Iterator[Any]:
    """The rule's host rows for each chunk of ``length`` steps of the run, on the device."""
    state = None
    for _ in range(0, prep.steps, length):
        rows, state = group.rule.host_rows(group.hp_host, state, length)
        yield prep.layout.replicated(rows)


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
    batch_size: int | Sequence[int | None] | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
    copy: bool = True,
    specialise: bool | None = None,
) -> Iterator[Chunk]:
    """The run as a stream: first the starts (t = 0), then chunks of up to CHUNK_STEPS steps.

    Arguments are checked before the first chunk is computed, so a bad argument raises
    ``ValueError`` at the call, not at the first ``next``.  Closing the generator early
    (a cancelled stream) stops the computation after the chunks in flight (the one being
    read and, for runs below OVERLAP_MAX_BYTES, the next).  With
    ``copy=False`` a chunk's arrays are views of buffers the next chunk overwrites: for a
    consumer that serialises each chunk before asking for the next (the WebSocket stream).
    """
    prep = prepare(RunSpec(surface, optimizers, starts, steps, batch_size, seed, surface_params, data_seed, specialise))
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
    batch_size: int | Sequence[int | None] | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
    specialise: bool | None = None,
) -> RunResult:
    """Run every configuration from every start; NumPy arrays, config-major (see RunResult)."""
    prep = prepare(RunSpec(surface, optimizers, starts, steps, batch_size, seed, surface_params, data_seed, specialise))
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
    """Where each run ends: positions [C, S, 2], loss and grad_norm [C, S] at the end point
    (NaN where diverged), diverged_at [C, S] (−1: never), the starts [S, 2]."""

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
    batch_size: int | Sequence[int | None] | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
    specialise: bool | None = None,
) -> FinalResult:
    """Only where each run ends: no trajectories kept, for dense grids (basin maps).  Throughput
    work: unless told otherwise it runs on programs specialised on the modes."""
    specialise = True if specialise is None else specialise
    prep = prepare(RunSpec(surface, optimizers, starts, steps, batch_size, seed, surface_params, data_seed, specialise))
    parts = [_group_final(prep, g) for g in prep.groups]
    order = np.argsort(np.concatenate([g.indices for g in prep.groups]))

    def join(i: int) -> np.ndarray:
        return np.concatenate([p[i] for p in parts], axis=0)[order]

    positions, loss, grad_norm, diverged_at = (join(i) for i in range(4))
    return FinalResult(positions=positions, loss=loss, grad_norm=grad_norm, diverged_at=diverged_at, starts=prep.starts)


def _group_final(prep: Prepared, group: _Group) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    init, _, final = group.kernels
    carry, _ = init(prep.starts_pad, prep.start_ids, group.hp, prep.env)
    k_end = prep.layout.replicated(np.int32(prep.steps))
    for rows in _table_rows(prep, group, FINAL_CHUNK_STEPS):
        carry = final(carry, prep.start_ids, k_end, group.hp, prep.env, rows)
    c, s = len(group.indices), prep.starts.shape[0]
    theta_all = np.stack([np.asarray(v) for v in carry.theta], axis=-1)
    # The carry holds the full-batch gradient at the end points already; only the loss is new.
    loss_h = np.asarray(final_loss(prep.surface)(theta_all, prep.env))[:c, :s]
    alive = np.asarray(carry.diverged_at)[:c, :s] < 0
    theta = theta_all[:c, :s]
    gx, gy = np.asarray(carry.grad[0])[:c, :s], np.asarray(carry.grad[1])[:c, :s]
    with np.errstate(over="ignore", invalid="ignore"):  # diverged starts' gradients: never shown
        gn = np.sqrt(gx * gx + gy * gy)  # float32, as a trajectory records it
    return (
        np.where(alive[..., None], theta, np.nan).astype(np.float32),
        np.where(alive, loss_h, np.nan).astype(np.float32),
        np.where(alive, gn, np.nan).astype(np.float32),
        np.asarray(carry.diverged_at)[:c, :s].astype(np.int32),
    )


# The three entry points take the same arguments: documented once, shown by help() on each.
for _entry in (simulate, simulate_chunks, simulate_final):
    _entry.__doc__ = (_entry.__doc__ or "") + "\n" + _ARGUMENTS
