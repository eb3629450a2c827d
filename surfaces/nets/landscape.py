"""A network's error surface, sliced: a plane of losses around a parameter vector (Li et al.,
"Visualizing the Loss Landscape of Neural Nets", 2018) and the line between two networks
(Goodfellow et al. 2015; Keskar et al. 2017's sharp-vs-flat picture).

Plane kinds:
  ``filter``  two random Gaussian directions, each neuron's incoming weights scaled to the norm
              of the same neuron's weights in ``center`` (Li et al.'s filter normalisation, so
              the plane's scale is the network's own); biases and batch-norm parameters 0.
              Coordinates run over [−span, span].
  ``pca``     the top two principal directions of a trajectory's checkpoints (``path`` [K, P])
              minus ``center`` (unit vectors, so coordinates are distances in parameter space).
  ``points``  the plane through ``center`` and two more parameter vectors (``points`` [2, P]),
              e.g. an initialisation and two solutions, so several optimizers' paths share it.
For ``pca`` and ``points`` the grid is square, centred on the box around the centre, the points
and the path, with a margin: ``span`` = 1 shows them all.  A path is projected onto the plane by
least squares (``path_xy``); so are the points.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.nets.model import Data, Metrics, Model, Net, bind, data, metrics
from errorscape.nets.tasks import Task
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.fields import ChoiceField, NumberField
from errorscape.surfaces.limits import MAX_NETWORKS, MAX_PLANE_SIDE, MAX_SEED
from errorscape.surfaces.problem import check_int

PLANE_KIND = ChoiceField("kind", ("filter", "pca", "points"), "filter", description="how the plane's two directions are chosen")
SPAN = NumberField("span", 0.0, 1000.0, 1.0, low_ok=False, description="the plane's half-width (filter) or margin factor")
EXTEND = NumberField("extend", 0.0, 100.0, 0.5, description="how far past both ends the line goes, in units of its length")
EVAL_CHUNK = 256  # parameter vectors evaluated per compiled call (one compile whatever the grid)


@dataclass(frozen=True)
class Plane:
    """Losses on an n × n grid: ``train[j, i]`` at (``x[i]``, ``y[j]``), i.e. center +
    x[i]·directions[0] + y[j]·directions[1] (Plotly's z[row][column] convention)."""

    kind: str
    x: np.ndarray  # [n]
    y: np.ndarray  # [n]
    train: np.ndarray  # [n, n]
    test: np.ndarray  # [n, n]
    directions: np.ndarray  # [2, P]
    center: np.ndarray  # [P]
    path_xy: np.ndarray | None  # [K, 2]
    points_xy: np.ndarray | None  # [m, 2]


@dataclass(frozen=True)
class Interpolation:
    """Losses along (1 − α)·a + α·b; fields [..., n] for a, b [..., P]."""

    alpha: np.ndarray  # [n]
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray


@functools.lru_cache(maxsize=16)
def _metrics_program(net: Net) -> Any:
    return jax.jit(jax.vmap(lambda t, d: metrics(net, t, d), in_axes=(0, None)))


def evaluate_many(net: Net, thetas: np.ndarray, d: Data) -> dict[str, np.ndarray]:
    """Metrics at each of thetas [G, P], in fixed-size chunks (one compiled program)."""
    program = _metrics_program(net)
    parts = []
    for s in range(0, len(thetas), EVAL_CHUNK):
        block = thetas[s : s + EVAL_CHUNK]
        pad = EVAL_CHUNK - len(block)
        if pad:
            block = np.concatenate([block, np.broadcast_to(block[-1:], (pad, block.shape[1]))])
        out = program(jnp.asarray(block), d)
        parts.append(jax.tree.map(lambda a, k=EVAL_CHUNK - pad: np.asarray(a)[:k], out))
    return {f: np.concatenate([getattr(p, f) for p in parts]) for f in Metrics._fields}


def _vector(value: Any, size: int, loc: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.shape != (size,) or not np.all(np.isfinite(v)):
        raise FieldError((loc,), f"expected {size} finite parameters, got shape {list(v.shape)}")
    return v


def _matrix(value: Any, size: int, loc: str, rows: int | None = None) -> np.ndarray:
    m = np.asarray(value, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] != size or (rows is not None and m.shape[0] != rows) or len(m) < 1:
        want = f"[{rows if rows is not None else 'K'}, {size}]"
        raise FieldError((loc,), f"expected parameter vectors {want}, got shape {list(m.shape)}")
    if not np.all(np.isfinite(m)):
        raise FieldError((loc,), "parameters must be finite")
    return m


def filter_directions(net: Net, center: np.ndarray, seed: int) -> np.ndarray:
    """Two random directions, filter-normalised against ``center`` (see the module note)."""
    rng = np.random.default_rng([seed, 0x706C616E])
    out = np.zeros((2, net.size))
    for k in range(2):
        for layer in net.layers:
            shape = (layer.fan_in, layer.fan_out)
            w = center[layer.w : layer.b].reshape(shape)
            d = rng.standard_normal(shape)
            # column j holds the weights arriving at unit j: scale it to the same column of θ
            d *= np.linalg.norm(w, axis=0) / np.maximum(np.linalg.norm(d, axis=0), 1e-12)
            out[k, layer.w : layer.b] = d.ravel()
    return out


def project(directions: np.ndarray, center: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """Least-squares coordinates [K, 2] of thetas [K, P] in the plane center + span(directions)."""
    coords, *_ = np.linalg.lstsq(directions.T, (thetas - center).T, rcond=None)
    return np.asarray(coords.T)


def _orthonormal(a: np.ndarray, b: np.ndarray, loc: str) -> np.ndarray:
    na = np.linalg.norm(a)
    if na == 0:
        raise FieldError((loc,), "the points must differ from the centre")
    u = a / na
    b = b - (b @ u) * u
    nb = np.linalg.norm(b)
    if nb <= 1e-6 * max(na, np.linalg.norm(b)):  # parameters arrive as float32: collinear up to its round-off
        raise FieldError((loc,), "the centre and the points lie on one line: they span no plane")
    return np.stack([u, b / nb])


def plane(
    task: Task,
    model: Model,
    center: Any,
    kind: str = "filter",
    points: Any = None,
    path: Any = None,
    n: int = 51,
    span: float = 1.0,
    seed: int = 0,
) -> Plane:
    """Training and test loss on an n × n grid in a plane through ``center`` [P]; see the
    module's note for the kinds."""
    if not isinstance(task, Task) or not isinstance(model, Model):
        raise FieldError(("task",), "expected a Task and a Model (errorscape.nets.task(...), errorscape.nets.Model(...))")
    net = bind(model, task)
    kind = PLANE_KIND.check(kind, ("kind",))
    n = check_int("n", n, 2, MAX_PLANE_SIDE)
    span = SPAN.check(span, ("span",))
    seed = check_int("seed", seed, 0, MAX_SEED)
    c = _vector(center, net.size, "center")
    path_m = None if path is None else _matrix(path, net.size, "path")
    points_m = None if points is None else _matrix(points, net.size, "points", 2 if kind == "points" else None)
    if path_m is not None and len(path_m) > MAX_NETWORKS * 16:
        raise FieldError(("path",), "too many checkpoints")

    if kind == "filter":
        dirs = filter_directions(net, c, seed)
    elif kind == "pca":
        if path_m is None or len(path_m) < 3:
            raise FieldError(("path",), "a pca plane needs a trajectory of at least 3 checkpoints")
        m = path_m - c
        _, sv, vt = np.linalg.svd(m - m.mean(axis=0), full_matrices=False)
        if len(sv) < 2 or sv[1] <= 1e-9 * max(sv[0], 1e-30):
            raise FieldError(("path",), "the trajectory moves along one line at most: it spans no plane")
        dirs = vt[:2]
    else:
        if points_m is None:
            raise FieldError(("points",), "a points plane needs two parameter vectors besides the centre")
        dirs = _orthonormal(points_m[0] - c, points_m[1] - c, "points")

    path_xy = None if path_m is None else project(dirs, c, path_m)
    points_xy = None if points_m is None else project(dirs, c, points_m)
    if kind == "filter":
        mid, half = np.zeros(2), span
    else:
        marked = np.concatenate([np.zeros((1, 2)), *(a for a in (path_xy, points_xy) if a is not None)])
        low, high = marked.min(axis=0), marked.max(axis=0)
        mid = (low + high) / 2
        half = span * 0.6 * max(float(np.max(high - low)), 1e-6)
    xs = mid[0] + np.linspace(-half, half, n)
    ys = mid[1] + np.linspace(-half, half, n)
    gx, gy = np.meshgrid(xs, ys)  # [n, n]: row j is y[j]
    thetas = c + gx.reshape(-1, 1) * dirs[0] + gy.reshape(-1, 1) * dirs[1]
    out = evaluate_many(net, thetas.astype(np.float32), data(task))
    return Plane(
        kind=kind,
        x=xs,
        y=ys,
        train=np.asarray(out["train_loss"], np.float64).reshape(n, n),
        test=np.asarray(out["test_loss"], np.float64).reshape(n, n),
        directions=dirs,
        center=c,
        path_xy=path_xy,
        points_xy=points_xy,
    )


def interpolate(task: Task, model: Model, a: Any, b: Any, n: int = 101, extend: float = 0.5) -> Interpolation:
    """Training and test loss and accuracy along (1 − α)·a + α·b for α from −extend to
    1 + extend (``n`` points); ``a`` and ``b`` [P] or [..., P] alike."""
    if not isinstance(task, Task) or not isinstance(model, Model):
        raise FieldError(("task",), "expected a Task and a Model (errorscape.nets.task(...), errorscape.nets.Model(...))")
    net = bind(model, task)
    n = check_int("n", n, 2, MAX_PLANE_SIDE * MAX_PLANE_SIDE)
    extend = EXTEND.check(extend, ("extend",))
    av, bv = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if av.shape != bv.shape or av.ndim < 1 or av.shape[-1] != net.size:
        raise FieldError(("b",), f"expected a and b of one shape [..., {net.size}], got {list(av.shape)} and {list(bv.shape)}")
    if not (np.all(np.isfinite(av)) and np.all(np.isfinite(bv))):
        raise FieldError(("a",), "parameters must be finite")
    lead = av.shape[:-1]
    if int(np.prod(lead)) * n > MAX_NETWORKS * MAX_PLANE_SIDE:
        raise FieldError(("n",), "too many points along too many lines")
    alpha = np.linspace(-extend, 1.0 + extend, n)
    thetas = (1.0 - alpha[:, None]) * av.reshape(-1, 1, net.size) + alpha[:, None] * bv.reshape(-1, 1, net.size)
    out = evaluate_many(net, thetas.reshape(-1, net.size).astype(np.float32), data(task))

    def shaped(v: Any) -> np.ndarray:
        return np.asarray(v, np.float64).reshape((*lead, n))

    return Interpolation(alpha, shaped(out["train_loss"]), shaped(out["test_loss"]), shaped(out["train_acc"]), shaped(out["test_acc"]))
