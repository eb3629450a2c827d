"""A multilayer perceptron over one flat parameter vector θ ∈ R^P, so that an optimizer, a
Hessian or a plane sees a network the way it sees a surface: one point in R^P.

Layout of θ, layer by layer from the input (hidden layers, then the output layer):
  W  [fan_in × fan_out], row-major (row i: the weights leaving input i; column j: the weights
     arriving at unit j), then b [fan_out];
  with ``norm="batch"``, after each hidden layer's bias: the batch norm's scale γ [fan_out]
  (initialised to 1) and shift β [fan_out] (0).  The output layer has no batch norm.
:meth:`Model.layout` gives each layer's offsets.

Batch norm normalises a hidden layer's pre-activations by the mean and variance of the batch
it is given, with no running averages: a training step uses its minibatch; evaluation, the
Hessian and the planes use the whole training set's statistics at the same θ (test points are
normalised by those too, never by their own).

Losses, per example, averaged over examples: ``ce`` softmax cross-entropy; ``mse`` for
classification Σ_k (softmax(o)_k − onehot_k)² (the lecture's MSE over softmax outputs, which
stalls where cross-entropy does not), for regression (o − y)².
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.nets.tasks import Task
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.fields import ChoiceField, NumberField
from errorscape.surfaces.limits import MAX_NET_DEPTH, MAX_NET_PARAMS, MAX_NET_WIDTH

ACTIVATION = ChoiceField("activation", ("relu", "tanh", "sigmoid"), "relu", description="hidden units' nonlinearity")
NORM = ChoiceField("norm", ("none", "batch"), "none", description="normalisation after each hidden layer")
LOSS = ChoiceField("loss", ("ce", "mse"), "ce", description="cross-entropy or mean squared error")
INIT_SCALE = NumberField("init_scale", 0.0, 100.0, 1.0, description="initial weights × this (large: saturated units)")
BN_EPS = 1e-5


def losses_for(kind: str) -> tuple[str, ...]:
    """The losses a task of this kind takes: a regression has no classes to take a
    cross-entropy over."""
    return LOSS.choices if kind == "classify" else ("mse",)


class Layer(NamedTuple):
    """Offsets into θ of one layer's parts (−1: absent)."""

    fan_in: int
    fan_out: int
    w: int  # W starts here, fan_in·fan_out entries
    b: int
    scale: int  # batch norm's γ, or −1
    shift: int  # batch norm's β, or −1

    @property
    def end(self) -> int:
        return (self.shift if self.shift >= 0 else self.b) + self.fan_out


@dataclass(frozen=True)
class Model:
    """An MLP: ``hidden`` units per hidden layer (``()``: a linear model), ``activation`` relu /
    tanh / sigmoid, ``norm`` none / batch, ``loss`` ce / mse, ``init_scale`` multiplies the
    standard initial weights (He normal for ReLU, Glorot normal otherwise; biases 0).  A bad
    value raises :class:`FieldError` naming it."""

    hidden: tuple[int, ...] = (16, 16)
    activation: str = ACTIVATION.default
    norm: str = NORM.default
    loss: str = LOSS.default
    init_scale: float = INIT_SCALE.default

    def __post_init__(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (int(hidden),)
        if not isinstance(hidden, Sequence) or isinstance(hidden, str) or len(hidden) > MAX_NET_DEPTH:
            raise FieldError(("model", "hidden"), f"expected a list of at most {MAX_NET_DEPTH} layer widths")
        for i, h in enumerate(hidden):
            if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= MAX_NET_WIDTH:
                raise FieldError(("model", "hidden", i), f"a width must be an integer between 1 and {MAX_NET_WIDTH}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        for field in (ACTIVATION, NORM, LOSS):
            field.check(getattr(self, field.name), ("model", field.name))
        object.__setattr__(self, "init_scale", INIT_SCALE.check(self.init_scale, ("model", "init_scale")))

    def layout(self, n_in: int, n_out: int) -> tuple[Layer, ...]:
        layers: list[Layer] = []
        at = 0
        widths = (n_in, *self.hidden, n_out)
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
            w, b = at, at + fan_in * fan_out
            at = b + fan_out
            scale = shift = -1
            if self.norm == "batch" and i < len(self.hidden):
                scale, shift = at, at + fan_out
                at = shift + fan_out
            layers.append(Layer(fan_in, fan_out, w, b, scale, shift))
        return tuple(layers)

    def size(self, task: Task) -> int:
        """P, the number of parameters for this task."""
        return self.layout(task.input_dim, task.output_dim)[-1].end

    def check_task(self, task: Task) -> None:
        if self.loss not in losses_for(task.kind):
            raise FieldError(("model", "loss"), f"{task.name} is a regression task: its loss is mse")
        if self.size(task) > MAX_NET_PARAMS:
            raise FieldError(("model", "hidden"), f"the network would have {self.size(task)} parameters; at most {MAX_NET_PARAMS}")

    def init(self, task: Task, networks: int, seed: int = 0) -> np.ndarray:
        """[networks, P] initial parameters; network i's depend only on (seed, i), not on how
        many networks are drawn."""
        layers = self.layout(task.input_dim, task.output_dim)
        theta = np.zeros((networks, layers[-1].end), np.float32)
        for i in range(networks):
            rng = np.random.default_rng([seed, i])
            for k, layer in enumerate(layers):
                hidden_relu = self.activation == "relu" and k < len(layers) - 1
                std = math.sqrt(2.0 / layer.fan_in) if hidden_relu else math.sqrt(2.0 / (layer.fan_in + layer.fan_out))
                n_w = layer.fan_in * layer.fan_out
                theta[i, layer.w : layer.w + n_w] = self.init_scale * std * rng.standard_normal(n_w)
                if layer.scale >= 0:
                    theta[i, layer.scale : layer.scale + layer.fan_out] = 1.0
        return theta


class Net(NamedTuple):
    """A model bound to a task's shapes: what the compiled functions close over (static)."""

    model: Model
    layers: tuple[Layer, ...]
    kind: str
    classes: int

    @property
    def size(self) -> int:
        return self.layers[-1].end


def bind(model: Model, task: Task) -> Net:
    model.check_task(task)
    return Net(model, model.layout(task.input_dim, task.output_dim), task.kind, task.classes)


_ACTIVATIONS: dict[str, Any] = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid}


def outputs(net: Net, theta: jax.Array, x: jax.Array, stats: jax.Array) -> jax.Array:
    """The network's outputs [M, n_out] for inputs x [M, d].  ``stats`` [M] weighs each row in
    the batch-norm statistics (sums to 1; zero for rows that only get normalised)."""
    h = x
    act = _ACTIVATIONS[net.model.activation]
    for k, layer in enumerate(net.layers):
        w = theta[layer.w : layer.b].reshape(layer.fan_in, layer.fan_out)
        h = h @ w + theta[None, layer.b : layer.b + layer.fan_out]
        if k == len(net.layers) - 1:
            return h
        if layer.scale >= 0:
            mean = (stats @ h)[None, :]
            var = (stats @ jnp.square(h - mean))[None, :]
            gamma, beta = theta[None, layer.scale : layer.shift], theta[None, layer.shift : layer.shift + layer.fan_out]
            h = (h - mean) * jax.lax.rsqrt(var + BN_EPS) * gamma + beta
        h = act(h)
    return h


def example_losses(net: Net, out: jax.Array, y: jax.Array) -> jax.Array:
    """Per-example loss [M] of outputs [M, n_out] against targets y [M]."""
    if net.kind == "regress":
        return jnp.square(out[:, 0] - y)
    if net.model.loss == "ce":
        return jax.nn.logsumexp(out, axis=1) - jnp.take_along_axis(out, y[:, None], axis=1)[:, 0]
    onehot = jax.nn.one_hot(y, net.classes, dtype=out.dtype)
    return jnp.sum(jnp.square(jax.nn.softmax(out, axis=1) - onehot), axis=1)


def correct(net: Net, out: jax.Array, y: jax.Array) -> jax.Array:
    """1.0 where a classification is right, per example [M] (regression: NaN)."""
    if net.kind == "regress":
        return jnp.full(out.shape[:1], jnp.nan, out.dtype)
    return (jnp.argmax(out, axis=1) == y).astype(out.dtype)


class Data(NamedTuple):
    """A task's arrays on the device, train and test rows stacked so one pass evaluates both
    (batch-norm statistics from the training rows only)."""

    x: jax.Array  # [n_train + n_test, d]
    y: jax.Array
    train_weight: jax.Array  # [n_train + n_test]: 1/n_train on training rows, 0 on test rows
    test_weight: jax.Array  # 0 on training rows, 1/n_test on test rows


def data(task: Task) -> Data:
    n_train, n_test = len(task.y_train), len(task.y_test)
    train_w = np.concatenate([np.full(n_train, 1.0 / n_train), np.zeros(n_test)]).astype(np.float32)
    test_w = np.concatenate([np.zeros(n_train), np.full(n_test, 1.0 / n_test)]).astype(np.float32)
    return Data(
        jnp.asarray(np.concatenate([task.x_train, task.x_test])),
        jnp.asarray(np.concatenate([task.y_train, task.y_test])),
        jnp.asarray(train_w),
        jnp.asarray(test_w),
    )


def train_data(task: Task) -> Data:
    """The training rows only (for the Hessian and gradients: test rows would cost and not count)."""
    n = len(task.y_train)
    w = jnp.full((n,), 1.0 / n, jnp.float32)
    return Data(jnp.asarray(task.x_train), jnp.asarray(task.y_train), w, jnp.zeros((n,), jnp.float32))


def train_loss(net: Net, theta: jax.Array, d: Data) -> jax.Array:
    """The training loss (mean over training rows) at θ [P]."""
    return d.train_weight @ example_losses(net, outputs(net, theta, d.x, d.train_weight), d.y)


class Metrics(NamedTuple):
    train_loss: jax.Array
    test_loss: jax.Array
    train_acc: jax.Array
    test_acc: jax.Array


def metrics(net: Net, theta: jax.Array, d: Data) -> Metrics:
    out = outputs(net, theta, d.x, d.train_weight)
    losses, right = example_losses(net, out, d.y), correct(net, out, d.y)
    return Metrics(d.train_weight @ losses, d.test_weight @ losses, _share(right, d.train_weight), _share(right, d.test_weight))


def _share(right: jax.Array, weight: jax.Array) -> jax.Array:
    """The share of right answers among the rows a weight selects, as count / rows: exact
    fractions (a sum of 1/n weights would round 0.4375 to 0.43749997)."""
    rows = weight > 0
    return jnp.sum(jnp.where(rows, right, 0.0)) / jnp.sum(rows).astype(right.dtype)
