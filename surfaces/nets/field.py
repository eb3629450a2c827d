"""What a network says over its input space, for the picture of a task: class probabilities on
a grid over a 2-D task's inputs (the decision boundary), or the fitted curve of a 1-D
regression.  Batch norm normalises with the training set's statistics, as in evaluation."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.nets.model import Model, Net, bind, outputs
from errorscape.nets.tasks import Task
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_PLANE_SIDE
from errorscape.surfaces.problem import check_int

MARGIN = 0.1  # the grid reaches this share of the points' span past them on every side


@dataclass(frozen=True)
class Field:
    """``x`` [n] (and ``y`` [n] for 2-D inputs); ``value``: for a classification the predicted
    class [n, n] (row j is y[j]) and ``confidence`` its probability; for a regression the
    network's output along x [n] (``confidence`` None)."""

    x: np.ndarray
    y: np.ndarray | None
    value: np.ndarray
    confidence: np.ndarray | None


@functools.lru_cache(maxsize=32)
def _program(net: Net) -> Any:
    def run(theta: jax.Array, x_train: jax.Array, x: jax.Array) -> jax.Array:
        rows = jnp.concatenate([x_train, x])
        weight = jnp.concatenate([jnp.full(x_train.shape[:1], 1.0 / x_train.shape[0], jnp.float32), jnp.zeros(x.shape[:1], jnp.float32)])
        return outputs(net, theta, rows, weight)[x_train.shape[0] :]

    return jax.jit(run)


def _span(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = MARGIN * max(high - low, 1e-6)
    return low - pad, high + pad


def field(task: Task, model: Model, theta: Any, n: int = 61) -> Field:
    """The network θ [P] over a grid of ``n`` points per input axis spanning the task's
    training and test inputs.  Tasks with more than two inputs have no such picture."""
    if not isinstance(task, Task) or not isinstance(model, Model):
        raise FieldError(("task",), "expected a Task and a Model (errorscape.nets.task(...), errorscape.nets.Model(...))")
    net = bind(model, task)
    n = check_int("n", n, 2, MAX_PLANE_SIDE)
    th = np.asarray(theta, dtype=np.float32)
    if th.shape != (net.size,):
        raise FieldError(("theta",), f"expected {net.size} parameters")
    if not np.all(np.isfinite(th)):
        raise FieldError(("theta",), "the parameters are not finite (the network diverged)")
    inputs = np.concatenate([task.x_train, task.x_test])
    if task.input_dim > 2:
        raise FieldError(("task",), f"{task.name} has {task.input_dim} inputs: only 1-D and 2-D tasks have a picture")
    xs = np.linspace(*_span(inputs[:, 0]), n)
    if task.input_dim == 1:
        grid = xs[:, None]
        ys = None
    else:
        ys = np.linspace(*_span(inputs[:, 1]), n)
        gx, gy = np.meshgrid(xs, ys)
        grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    out = np.asarray(_program(net)(jnp.asarray(th), jnp.asarray(task.x_train), jnp.asarray(grid, jnp.float32)), np.float64)
    if task.kind == "regress":
        return Field(xs, ys, out[:, 0], None)
    prob = np.exp(out - out.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    shape = (n, n) if ys is not None else (n,)
    return Field(xs, ys, prob.argmax(axis=1).reshape(shape), prob.max(axis=1).reshape(shape))
