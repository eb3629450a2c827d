"""Many networks trained at once: ``networks`` initialisations × the configurations raced, one
compiled program per optimizer family (vmap over configurations and networks, scan over steps).

The optimizers are those :func:`errorscape.simulate` takes — the lecture's rule, its presets,
optax's — applied to θ ∈ R^P (optax sees θ as one vector: a per-tensor optimizer such as LAMB
treats the whole network as one tensor).  Every configuration starts from the same ``networks``
initialisations and sees the same minibatch order, so configurations differ only in what they
are set to.  Minibatches are drawn without replacement, reshuffled every epoch, per network
(seeded; the last incomplete batch of an epoch is dropped), and each configuration may have its
own batch size: the batch is padded to the largest and masked.

A network diverges when a parameter stops being finite: from that step on its parameters and
records are NaN, and ``diverged_at`` holds the step (−1: never).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.nets.model import Data, Metrics, Model, Net, bind, data, example_losses, metrics, outputs
from errorscape.nets.tasks import Task
from errorscape.surfaces import optimizer
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_NET_FLOATS, MAX_NETWORKS, MAX_SEED, MAX_STEPS
from errorscape.surfaces.optax_rules import per_start, transformation
from errorscape.surfaces.optimizer import OptState
from errorscape.surfaces.problem import check_int
from errorscape.surfaces.rules import LECTURE, Config, make_rule, resolve_optimizers, rule_key

CHUNK_STEPS = 200  # steps per compiled chunk (about): a stream yields this often


@dataclass(frozen=True)
class NetRun:
    """A training run: records at ``steps`` [K] (0, record_every, …, steps), per configuration
    c, record k and network n.  Accuracies are NaN for a regression task."""

    steps: np.ndarray  # [K]
    train_loss: np.ndarray  # [C, K, N]
    test_loss: np.ndarray  # [C, K, N]
    train_acc: np.ndarray  # [C, K, N]
    test_acc: np.ndarray  # [C, K, N]
    grad_norm: np.ndarray  # [C, K, N]: ‖∇L‖ of the training loss over the whole training set
    checkpoints: np.ndarray | None  # [C, K, N, P], or None when not kept
    final: np.ndarray  # [C, N, P]
    diverged_at: np.ndarray  # [C, N] int32, −1: never
    configs: tuple[Config, ...]
    batch_size: np.ndarray  # [C]


@dataclass(frozen=True)
class NetChunk:
    """A part of a run as it is streamed: records for ``steps`` [k] and the state so far."""

    steps: np.ndarray
    train_loss: np.ndarray  # [C, k, N]
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    grad_norm: np.ndarray
    checkpoints: np.ndarray | None  # [C, k, N, P]
    params: np.ndarray  # [C, N, P] after the last of ``steps``
    diverged_at: np.ndarray  # [C, N] as of the last of ``steps``
    done: int  # steps done
    total: int


class NetRule(NamedTuple):
    """An optimizer family on the parameters of N networks of one configuration."""

    init: Any  # (theta [N, P], hp) -> opt
    update: Any  # (grad [N, P], opt, theta [N, P], hp) -> (updates [N, P], opt)


def _net_rule(key: tuple) -> NetRule:
    if key == LECTURE:

        def init(theta: jax.Array, hp: optimizer.Hyperparams) -> OptState:
            zero, one = jnp.zeros_like(theta), jnp.ones_like(hp.lr)
            return OptState(jnp.zeros((), jnp.int32), zero, zero, one, one)

        def update(g: jax.Array, opt: OptState, theta: jax.Array, hp: optimizer.Hyperparams) -> tuple[jax.Array, OptState]:
            return optimizer.update(g, opt, hp)

        return NetRule(init, update)
    name, static = key[1], key[2]

    def optax_init(theta: jax.Array, hp: dict[str, jax.Array]) -> Any:
        ids = jnp.arange(theta.shape[0], dtype=jnp.uint32)
        return jax.vmap(lambda th, i: per_start(transformation(name, static, hp).init(th), i))(theta, ids)

    def optax_update(g: jax.Array, opt: Any, theta: jax.Array, hp: dict[str, jax.Array]) -> tuple[jax.Array, Any]:
        return jax.vmap(lambda gi, oi, ti: transformation(name, static, hp).update(gi, oi, ti))(g, opt, theta)

    return NetRule(optax_init, optax_update)


def _evaluate(net: Net, theta: jax.Array, d: Data) -> tuple[Metrics, jax.Array]:
    """Metrics at θ [P] and the norm of the training loss's gradient, from one pass."""

    def f(t: jax.Array) -> tuple[jax.Array, Metrics]:
        m = metrics(net, t, d)
        return m.train_loss, m

    (_, m), g = jax.value_and_grad(f, has_aux=True)(theta)
    return m, jnp.sqrt(jnp.sum(jnp.square(g)))


def _over_configs_and_networks(fn: Any) -> Any:
    return jax.vmap(jax.vmap(fn))


@functools.lru_cache(maxsize=32)
def _programs(net: Net, key: tuple, keep_checkpoints: bool) -> tuple[Any, Any]:
    """(init, chunk) compiled for one network shape and optimizer family; array shapes
    (networks, batch, chunk length) are left to jit's own cache.  A run uses one chunk shape
    only: each compile of the chunk costs seconds (10 s for ten layers with batch norm here),
    more than training it."""
    rule = _net_rule(key)

    @jax.jit
    def init(theta: jax.Array, hp: Any) -> Any:  # theta [C, N, P]
        return jax.vmap(rule.init)(theta, hp)

    def record(state: Any, d: Data, k: jax.Array) -> tuple[Any, tuple[Metrics, jax.Array, jax.Array | None]]:
        # A network whose loss or gradient is no longer finite at a record has diverged there.
        theta, opt, diverged = state
        m, g = _over_configs_and_networks(lambda t: _evaluate(net, t, d))(theta)
        bad = ~(jnp.isfinite(m.train_loss) & jnp.isfinite(g))
        diverged = jnp.where(bad & (diverged < 0), k, diverged)
        gone = diverged >= 0
        m = Metrics(*(jnp.where(gone, jnp.nan, v) for v in m))
        theta = jnp.where(gone[..., None], jnp.nan, theta)
        return (theta, opt, diverged), (m, jnp.where(gone, jnp.nan, g), theta if keep_checkpoints else None)

    def no_record(state: Any) -> tuple[Metrics, jax.Array, jax.Array | None]:
        theta = state[0]
        nan = jnp.full(theta.shape[:2], jnp.nan, theta.dtype)
        return Metrics(nan, nan, nan, nan), nan, jnp.full_like(theta, jnp.nan) if keep_checkpoints else None

    def minibatch_grad(theta: jax.Array, rows: jax.Array, weight: jax.Array, d: Data) -> tuple[jax.Array, jax.Array]:
        def loss(t: jax.Array) -> jax.Array:
            x, y = d.x[rows], d.y[rows]
            return weight @ example_losses(net, outputs(net, t, x, weight), y)

        return jax.value_and_grad(loss)(theta)

    def config_step(theta: jax.Array, opt: Any, rows: jax.Array, batch: jax.Array, hp: Any, d: Data) -> tuple[jax.Array, Any, jax.Array]:
        # rows [N, B_max]; the first ``batch`` of them are this configuration's minibatch.
        weight = (jnp.arange(rows.shape[1]) < batch).astype(jnp.float32) / batch.astype(jnp.float32)
        loss, g = jax.vmap(minibatch_grad, in_axes=(0, 0, None, None))(theta, rows, weight, d)
        updates, opt = rule.update(g, opt, theta, hp)
        return theta + updates, opt, loss

    @jax.jit
    def chunk(state: Any, d: Data, rows: jax.Array, live: jax.Array, ks: jax.Array, recorded: jax.Array, batch: jax.Array, hp: Any) -> Any:
        # rows [M, R, C, N, B]; live, ks [M, R]: M windows of R steps, each ending in a record;
        # recorded [M]: the windows that run (the others are slots this call leaves empty).  A
        # window without live steps records the state as it is (step 0's record).
        def step(carry: Any, inp: Any) -> tuple[Any, None]:
            rows_k, live_k, k = inp

            def advance(c: Any) -> Any:
                theta, opt, diverged = c
                theta, opt, loss = jax.vmap(config_step, in_axes=(0, 0, 0, 0, 0, None))(theta, opt, rows_k, batch, hp, d)
                # θ_k whose loss is not finite diverged at k; a θ_{k+1} that is not finite, at k + 1.
                fresh = diverged < 0
                diverged = jnp.where(fresh & ~jnp.isfinite(loss), k, diverged)
                diverged = jnp.where((diverged < 0) & ~jnp.all(jnp.isfinite(theta), axis=-1), k + 1, diverged)
                theta = jnp.where((diverged >= 0)[..., None], jnp.nan, theta)
                return theta, opt, diverged

            return jax.lax.cond(live_k, advance, lambda c: c, carry), None

        def window(carry: Any, inp: Any) -> tuple[Any, Any]:
            rows_w, live_w, ks_w, recorded_w = inp

            def run(c: Any) -> Any:
                c, _ = jax.lax.scan(step, c, (rows_w, live_w, ks_w))
                end = jnp.minimum(ks_w[-1] + 1, jnp.max(jnp.where(live_w, ks_w + 1, 0)))
                return record(c, d, end)

            return jax.lax.cond(recorded_w, run, lambda c: (c, no_record(c)), carry)

        return jax.lax.scan(window, state, (rows, live, ks, recorded))

    return init, chunk


class Batches:
    """Minibatch rows per step, configuration and network: each network's own permutation of
    the training set per epoch, seeded by (seed, epoch), independent of how many networks or
    configurations there are."""

    def __init__(self, n_train: int, networks: int, seed: int) -> None:
        self.n, self.networks, self.seed = n_train, networks, seed
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            if len(self._perms) > 64:
                self._perms.pop(min(self._perms))
            rng = np.random.default_rng([self.seed, epoch, 0x6E657473])
            self._perms[epoch] = np.argsort(rng.random((self.networks, self.n)), axis=1).astype(np.int32)
        return self._perms[epoch]

    def rows(self, k0: int, k1: int, batch_sizes: Sequence[int]) -> np.ndarray:
        """[k1 − k0, C, N, max batch] rows of the training set for steps k0 … k1 − 1."""
        width = max(batch_sizes)
        out = np.zeros((k1 - k0, len(batch_sizes), self.networks, width), np.int32)
        ks = np.arange(k0, k1)
        for c, b in enumerate(batch_sizes):
            per_epoch = self.n // b
            epochs, pos = ks // per_epoch, ks % per_epoch
            for e in np.unique(epochs):
                at = np.nonzero(epochs == e)[0]
                cols = pos[at][:, None] * b + np.arange(b)  # [k, b]
                out[at, c, :, :b] = np.transpose(self._perm(int(e))[:, cols], (1, 0, 2))
        return out


def _batch_sizes(batch_size: Any, configs: int, n_train: int) -> list[int]:
    values = list(batch_size) if isinstance(batch_size, (list, tuple, np.ndarray)) else [batch_size] * configs
    if len(values) != configs:
        raise FieldError(("batch_size",), f"expected one batch size or one per configuration ({configs})")
    out = []
    for i, b in enumerate(values):
        name = "batch_size" if not isinstance(batch_size, (list, tuple, np.ndarray)) else f"batch_size.{i}"
        out.append(check_int(name, b, 1, n_train))
    return out


def _initial(init: Any, networks: int, size: int, model: Model, task: Task, seed: int) -> np.ndarray:
    if init is None:
        return model.init(task, networks, seed)
    theta = np.asarray(init, dtype=np.float32)
    if theta.ndim == 1:
        theta = np.broadcast_to(theta, (networks, theta.shape[0]))
    if theta.shape != (networks, size):
        raise FieldError(("init",), f"expected parameters of shape [{size}] or [{networks}, {size}], got {list(np.shape(init))}")
    if not np.all(np.isfinite(theta)):
        raise FieldError(("init",), "parameters must be finite")
    return np.array(theta)


def train_chunks(
    task: Task,
    model: Model,
    optimizers: Any,
    networks: int = 64,
    steps: int = 2000,
    batch_size: int | Sequence[int] = 32,
    seed: int = 0,
    record_every: int = 10,
    init: Any = None,
    checkpoints: bool = True,
) -> Iterator[NetChunk]:
    """:func:`train` as a stream: the first chunk holds the record at step 0 and the first
    quarter of a chunk's records, then one chunk every :data:`CHUNK_STEPS` steps or so (a whole
    number of records)."""
    return _stream(task, model, optimizers, networks, steps, batch_size, seed, record_every, init, checkpoints, compile_only=False)


def prepare(
    task: Task,
    model: Model,
    optimizers: Any,
    networks: int = 64,
    steps: int = 2000,
    batch_size: int | Sequence[int] = 32,
    seed: int = 0,
    record_every: int = 10,
    init: Any = None,
    checkpoints: bool = True,
) -> None:
    """Compile what :func:`train` with these arguments runs, without training: its first call
    then starts at once (a deep network's programs take seconds to compile).  Bad arguments
    raise as :func:`train` does."""
    for _ in _stream(task, model, optimizers, networks, steps, batch_size, seed, record_every, init, checkpoints, compile_only=True):
        pass


def _stream(
    task: Task,
    model: Model,
    optimizers: Any,
    networks: int,
    steps: int,
    batch_size: int | Sequence[int],
    seed: int,
    record_every: int,
    init: Any,
    checkpoints: bool,
    *,
    compile_only: bool,
) -> Iterator[NetChunk]:
    if not isinstance(task, Task):
        raise FieldError(("task",), "expected a Task (errorscape.nets.task(...))")
    if not isinstance(model, Model):
        raise FieldError(("model",), "expected a Model (errorscape.nets.Model(...))")
    net = bind(model, task)
    configs = resolve_optimizers(optimizers)
    networks = check_int("networks", networks, 1, MAX_NETWORKS)
    steps = check_int("steps", steps, 1, MAX_STEPS)
    seed = check_int("seed", seed, 0, MAX_SEED)
    record_every = check_int("record_every", record_every, 1, steps)
    n_train = len(task.y_train)
    sizes = _batch_sizes(batch_size, len(configs), n_train)
    n_records = math.ceil(steps / record_every) + 1
    kept = len(configs) * n_records * networks * net.size if checkpoints else 0
    if kept > MAX_NET_FLOATS or networks * max(n_train, net.size) > MAX_NET_FLOATS:
        raise FieldError(("networks",), "the run would keep too many numbers: fewer networks, more record_every or checkpoints=False")
    theta0 = _initial(init, networks, net.size, model, task, seed)
    d = data(task)
    batches = Batches(n_train, networks, seed)
    windows = max(1, min(n_records - 1, CHUNK_STEPS // record_every))

    groups: dict[tuple, list[int]] = {}
    for i, config in enumerate(configs):
        groups.setdefault(rule_key(config), []).append(i)
    order = np.argsort(np.concatenate([np.array(ix) for ix in groups.values()]))
    runs = []
    for key, ix in groups.items():
        init_fn, chunk_fn = _programs(net, key, checkpoints)
        hp = make_rule(key).stack([configs[i].hyperparams() for i in ix])
        theta = jnp.asarray(np.broadcast_to(theta0, (len(ix), networks, net.size)))
        state = (theta, init_fn(theta, hp), jnp.full((len(ix), networks), -1, jnp.int32))
        runs.append([ix, hp, state, chunk_fn, jnp.asarray(np.array([sizes[i] for i in ix], np.int32))])

    slots = windows + 1  # see the loop below
    if compile_only:
        # One call per group that runs no window: it compiles the chunk for the run's shapes.
        width = max(sizes)
        for ix, hp, state, chunk_fn, batch in runs:
            rows = np.zeros((slots, record_every, len(ix), networks, width), np.int32)
            idle = np.zeros((slots, record_every), bool)
            ks, recorded = np.zeros((slots, record_every), np.int32), np.zeros(slots, bool)
            out = chunk_fn(state, d, jnp.asarray(rows), jnp.asarray(idle), jnp.asarray(ks), jnp.asarray(recorded), batch, hp)
            jax.block_until_ready(out)
        return

    def merged(parts: list[Any], axis: int) -> np.ndarray:
        return np.concatenate([np.asarray(p) for p in parts], axis=axis)[(slice(None),) * axis + (order,)]

    def emit(step_list: np.ndarray, recs: list[Any], done: int) -> NetChunk:
        # recs per group: (Metrics, grad norm, checkpoints) with leading [k, C_g, N]
        cols = [merged([np.moveaxis(np.asarray(getattr(r[0], f)), 0, 1) for r in recs], 0) for f in Metrics._fields]
        grad = merged([np.moveaxis(np.asarray(r[1]), 0, 1) for r in recs], 0)
        ckpt = merged([np.moveaxis(np.asarray(r[2]), 0, 1) for r in recs], 0) if checkpoints else None
        params = merged([run[2][0] for run in runs], 0)
        diverged = merged([run[2][2] for run in runs], 0)
        return NetChunk(step_list, cols[0], cols[1], cols[2], cols[3], grad, ckpt, params, diverged, done, steps)

    record_at = [min((j + 1) * record_every, steps) for j in range(n_records - 1)]
    # Every call has the same M = windows + 1 slots of record_every steps: the first holds the
    # record at step 0 (a slot with no steps) and a quarter of the others' windows, so a page
    # shows the first stretch of its curves sooner without compiling a second chunk length.
    first_windows = max(1, windows // 4)
    j0, first = 0, True
    while j0 < n_records - 1:
        lead = 1 if first else 0  # slot 0 of the first call: the record at step 0
        n_here = min(first_windows if first else windows, n_records - 1 - j0)
        k0 = j0 * record_every
        ks_run = np.arange(k0, k0 + n_here * record_every)
        live = np.zeros((slots, record_every), bool)
        ks = np.zeros((slots, record_every), np.int32)
        live[lead : lead + n_here] = (ks_run < steps).reshape(n_here, record_every)
        ks[lead : lead + n_here] = ks_run.reshape(n_here, record_every)
        recorded = np.arange(slots) < lead + n_here
        rows_all = batches.rows(k0, k0 + n_here * record_every, sizes)
        recs = []
        for run in runs:
            ix, hp, state, chunk_fn, batch = run
            rows = np.zeros((slots, record_every, len(ix), networks, rows_all.shape[-1]), np.int32)
            rows[lead : lead + n_here] = rows_all[:, ix].reshape(n_here, record_every, len(ix), networks, -1)
            state, rec = chunk_fn(state, d, jnp.asarray(rows), jnp.asarray(live), jnp.asarray(ks), jnp.asarray(recorded), batch, hp)
            run[2] = state
            recs.append(jax.tree.map(lambda a, n=lead + n_here: np.asarray(a)[:n], rec))  # on the host: a slice on the device compiles
        step_list = np.array([0] * lead + record_at[j0 : j0 + n_here])
        yield emit(step_list, recs, record_at[j0 + n_here - 1])
        j0 += n_here
        first = False


def train(
    task: Task,
    model: Model,
    optimizers: Any,
    networks: int = 64,
    steps: int = 2000,
    batch_size: int | Sequence[int] = 32,
    seed: int = 0,
    record_every: int = 10,
    init: Any = None,
    checkpoints: bool = True,
) -> NetRun:
    """Train ``networks`` networks of ``model`` on ``task`` with each of ``optimizers`` (one
    configuration or a list, as :func:`errorscape.simulate` takes them) for ``steps`` steps of
    minibatches of ``batch_size`` (one, or one per configuration; the training set's size is
    full batch).  ``init`` [P] or [networks, P] replaces the model's initialisation (seeded by
    ``seed``, like the minibatch order).  Records every ``record_every`` steps: training and
    test loss and accuracy, the gradient norm, and (``checkpoints``) the parameters."""
    configs = tuple(resolve_optimizers(optimizers))  # once: the chunks take them as they are
    parts = list(train_chunks(task, model, list(configs), networks, steps, batch_size, seed, record_every, init, checkpoints))
    last = parts[-1]

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts], axis=1)

    return NetRun(
        steps=np.concatenate([p.steps for p in parts]),
        train_loss=cat("train_loss"),
        test_loss=cat("test_loss"),
        train_acc=cat("train_acc"),
        test_acc=cat("test_acc"),
        grad_norm=cat("grad_norm"),
        checkpoints=cat("checkpoints") if checkpoints else None,
        final=last.params,
        diverged_at=last.diverged_at,
        configs=configs,
        batch_size=np.array(_batch_sizes(batch_size, len(configs), len(task.y_train))),
    )
