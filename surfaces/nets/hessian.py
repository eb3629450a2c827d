"""A network's curvature: the full Hessian of its training loss (every parameter, biases and
batch-norm parameters included) with its eigenvalues, and λmax for networks of any size by
Lanczos iteration on Hessian-vector products.

The minimum ratio is the lecture's: the share of the Hessian's eigenvalues that are positive.
In float32 an eigenvalue that is exactly 0 in exact arithmetic (a dead unit's weights, a
direction the loss does not depend on) comes out as ±round-off, so eigenvalues with
|λ| ≤ tol·λmax are counted apart as flat: ``minimum_ratio + flat_share + negative share = 1``.
``positive_share`` counts λ > 0 as the homework does, round-off included.

HW2-2's variant takes one Hessian per layer (the diagonal block of that layer's weights and
bias, and its batch-norm parameters) and counts the positive eigenvalues of all blocks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.nets.model import Data, Model, Net, bind, train_data, train_loss
from errorscape.nets.tasks import Task
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_HESSIAN_PARAMS, MAX_NETWORKS

TOL = 1e-4  # |λ| ≤ TOL·λmax is flat: float32 round-off of a P×P Hessian sits well below it


@dataclass(frozen=True)
class NetHessian:
    """For parameters [..., P]: every field has the same leading shape."""

    matrix: np.ndarray  # [..., P, P]
    eigenvalues: np.ndarray  # [..., P] ascending
    lambda_max: np.ndarray  # [...]
    minimum_ratio: np.ndarray  # [...]: share of eigenvalues > tol·λmax
    flat_share: np.ndarray  # [...]: share with |λ| ≤ tol·λmax
    positive_share: np.ndarray  # [...]: share > 0 (round-off on flat directions included)
    per_layer_ratio: np.ndarray  # [...]: share > 0 over the per-layer blocks' eigenvalues
    per_layer_flat_share: np.ndarray  # [...]: share with |λ| ≤ tol·(the block's largest |λ|)
    blocks: tuple[tuple[int, ...], ...]  # the parameter indices of each layer's block


def _params(task: Task, model: Model, params: Any, limit: int | None) -> tuple[Net, np.ndarray]:
    if not isinstance(task, Task):
        raise FieldError(("task",), "expected a Task (errorscape.nets.task(...))")
    if not isinstance(model, Model):
        raise FieldError(("model",), "expected a Model (errorscape.nets.Model(...))")
    net = bind(model, task)
    theta = np.asarray(params, dtype=np.float32)
    if theta.ndim < 1 or theta.shape[-1] != net.size:
        raise FieldError(("params",), f"expected parameters [..., {net.size}], got shape {list(theta.shape)}")
    if limit is not None and net.size > limit:
        raise FieldError(("model", "hidden"), f"a full Hessian needs P ≤ {limit}; this network has {net.size} (use sharpness)")
    if int(np.prod(theta.shape[:-1])) > MAX_NETWORKS:
        raise FieldError(("params",), f"at most {MAX_NETWORKS} networks at once")
    if not np.all(np.isfinite(theta)):
        raise FieldError(("params",), "parameters must be finite")
    return net, theta


@functools.lru_cache(maxsize=16)
def _hessian_program(net: Net) -> Any:
    def one(theta: jax.Array, d: Data) -> jax.Array:
        h = jax.hessian(lambda t: train_loss(net, t, d))(theta)
        return (h + h.T) * 0.5

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def layer_blocks(net: Net) -> tuple[tuple[int, ...], ...]:
    """Each layer's parameter indices: weights and bias, and its batch-norm scale and shift."""
    out = []
    for layer in net.layers:
        ix = list(range(layer.w, layer.b + layer.fan_out))
        if layer.scale >= 0:
            ix += list(range(layer.scale, layer.shift + layer.fan_out))
        out.append(tuple(ix))
    return tuple(out)


def hessian(task: Task, model: Model, params: Any, tol: float = TOL) -> NetHessian:
    """The full Hessian of the training loss at ``params`` ([P] or [..., P]; P ≤ 4,096) and
    what its eigenvalues say (see the module's note on ``tol``)."""
    net, theta = _params(task, model, params, MAX_HESSIAN_PARAMS)
    lead = theta.shape[:-1]
    flat = theta.reshape(-1, net.size)
    d = train_data(task)
    mats = np.asarray(_hessian_program(net)(jnp.asarray(flat), d), dtype=np.float64)
    eig = np.linalg.eigvalsh(mats)
    lam_max = eig[:, -1]
    scale = np.maximum(np.abs(eig).max(axis=1), np.finfo(np.float32).tiny)
    flat_mask = np.abs(eig) <= tol * scale[:, None]
    blocks = layer_blocks(net)
    block_pos = np.zeros(len(flat))
    block_flat = np.zeros(len(flat))
    for ix in blocks:
        sub = np.linalg.eigvalsh(mats[:, np.array(ix)[:, None], np.array(ix)[None, :]])
        sub_scale = np.maximum(np.abs(sub).max(axis=1), np.finfo(np.float32).tiny)
        block_pos += (sub > 0).sum(axis=1)
        block_flat += (np.abs(sub) <= tol * sub_scale[:, None]).sum(axis=1)
    p = net.size

    def shaped(a: np.ndarray) -> np.ndarray:
        return a.reshape((*lead, *a.shape[1:]))

    return NetHessian(
        matrix=shaped(mats),
        eigenvalues=shaped(eig),
        lambda_max=shaped(lam_max),
        minimum_ratio=shaped(((eig > tol * scale[:, None]).sum(axis=1)) / p),
        flat_share=shaped(flat_mask.sum(axis=1) / p),
        positive_share=shaped((eig > 0).sum(axis=1) / p),
        per_layer_ratio=shaped(block_pos / p),
        per_layer_flat_share=shaped(block_flat / p),
        blocks=blocks,
    )


@functools.lru_cache(maxsize=16)
def _lanczos_program(net: Net, iterations: int) -> Any:
    def one(theta: jax.Array, v0: jax.Array, d: Data) -> tuple[jax.Array, jax.Array, jax.Array]:
        grad = jax.grad(lambda t: train_loss(net, t, d))

        def hvp(v: jax.Array) -> jax.Array:
            return jax.jvp(grad, (theta,), (v,))[1]

        basis = jnp.zeros((iterations, theta.shape[0]), theta.dtype)
        v = v0 / jnp.linalg.norm(v0)

        def body(carry: Any, j: jax.Array) -> tuple[Any, tuple[jax.Array, jax.Array, jax.Array]]:
            basis, v, v_prev, beta_prev, scale, live = carry
            basis = basis.at[j].set(v)
            w_ = hvp(v)
            alpha = w_ @ v
            w_ = w_ - alpha * v - beta_prev * v_prev
            # Full reorthogonalisation (twice is enough): float32 Lanczos otherwise finds ghost
            # copies of λmax and loses accuracy.
            w_ = w_ - basis.T @ (basis @ w_)
            w_ = w_ - basis.T @ (basis @ w_)
            beta = jnp.linalg.norm(w_)
            scale = jnp.maximum(scale, jnp.abs(alpha) + beta)
            # The Krylov space is exhausted when β is round-off: a vector divided by it would be
            # noise the reorthogonalisation cannot clean, and the recurrence would blow up.
            go_on = live & (beta > 1e-5 * scale)
            v_next = jnp.where(go_on, w_ / jnp.where(go_on, beta, 1.0), 0.0)
            return (basis, v_next, v, jnp.where(go_on, beta, 0.0), scale, go_on), (alpha, jnp.where(go_on, beta, 0.0), live)

        start = (basis, v, jnp.zeros_like(v), jnp.zeros(()), jnp.zeros(()), jnp.array(True))
        _, (alphas, betas, used) = jax.lax.scan(body, start, jnp.arange(iterations))
        return alphas, betas, used

    return jax.jit(jax.vmap(one, in_axes=(0, 0, None)))


def _rows_bucket(n: int) -> int:
    """Rows a Lanczos program is compiled for: the next power of two up to 8, then the next
    multiple of 16 (a compile of a deep network's Lanczos costs seconds; padding rows, a share
    of the work)."""
    return 1 << max(0, (n - 1).bit_length()) if n <= 8 else -(-n // 16) * 16


def sharpness(task: Task, model: Model, params: Any, iterations: int | None = None, seed: int = 0) -> np.ndarray:
    """λmax of the training loss's Hessian at ``params`` ([P] or [..., P], any P), by Lanczos
    iteration with full reorthogonalisation on Hessian-vector products (``iterations``
    defaults to min(P, 80)) from one seeded start vector for every network; the largest Ritz
    value.  A network's λmax does not depend on the others asked with it.  Agrees with
    :func:`hessian`'s λmax to about 1e-3 relative where both exist."""
    net, theta = _params(task, model, params, None)
    k = min(net.size, 80) if iterations is None else int(iterations)
    if not 1 <= k <= net.size:
        raise FieldError(("iterations",), f"must be between 1 and P = {net.size}")
    lead = theta.shape[:-1]
    flat = theta.reshape(-1, net.size)
    n = len(flat)
    if n == 0:
        return np.zeros(lead)
    rows = np.concatenate([flat, np.broadcast_to(flat[:1], (_rows_bucket(n) - n, net.size))])
    v0 = np.broadcast_to(np.random.default_rng(seed).standard_normal(net.size).astype(np.float32), rows.shape)
    d = train_data(task)
    alphas, betas, used = (np.asarray(a)[:n] for a in _lanczos_program(net, k)(jnp.asarray(rows), jnp.asarray(v0), d))
    out = np.empty(n)
    for i in range(n):
        m = int(used[i].sum())  # iterations before the Krylov space was exhausted
        a, b = alphas[i, :m].astype(np.float64), betas[i, : m - 1].astype(np.float64)
        out[i] = np.linalg.eigvalsh(np.diag(a) + np.diag(b, 1) + np.diag(b, -1))[-1]
    return out.reshape(lead)
