"""Driving networks to where the gradient vanishes, as HW2-2 does: minimise ‖∇L‖² of the whole
training set's loss from trained parameters, so the Hessian's eigenvalues there describe a
critical point (a minimum, a saddle) rather than a slope."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from errorscape.nets.model import Data, Model, Net, bind, train_data, train_loss
from errorscape.nets.tasks import Task
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.fields import NumberField
from errorscape.surfaces.limits import MAX_NETWORKS, MAX_STEPS
from errorscape.surfaces.problem import check_int

LR = NumberField("lr", 0.0, 1.0, 1e-3, low_ok=False, log=True, description="Adam's learning rate on ‖∇L‖²")


@dataclass(frozen=True)
class Stationary:
    params: np.ndarray  # [..., P]: where the minimisation ended
    grad_norm: np.ndarray  # [...]: ‖∇L‖ there
    train_loss: np.ndarray  # [...]


@functools.lru_cache(maxsize=16)
def _program(net: Net, steps: int) -> Any:
    def run(theta: jax.Array, d: Data, lr: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        grad = jax.grad(lambda t: train_loss(net, t, d))

        def objective(t: jax.Array) -> jax.Array:
            g = grad(t)
            return g @ g

        # Adam's steps stay about η long however small the gradient, so η decays to 0 (cosine):
        # a constant η would leave ‖∇L‖ at a noise floor set by η, not at a critical point.
        opt = optax.adam(optax.cosine_decay_schedule(lr, steps))

        def step(carry: Any, _: Any) -> tuple[Any, None]:
            t, state = carry
            g = jax.grad(objective)(t)
            updates, state = opt.update(g, state, t)
            return (t + updates, state), None

        (theta, _), _ = jax.lax.scan(step, (theta, opt.init(theta)), None, length=steps)
        g = grad(theta)
        return theta, jnp.sqrt(g @ g), train_loss(net, theta, d)

    return jax.jit(jax.vmap(run, in_axes=(0, None, None)))


def minimize_grad_norm(task: Task, model: Model, params: Any, steps: int = 1000, lr: float = LR.default) -> Stationary:
    """Adam on ‖∇L(θ)‖² for ``steps`` steps from ``params`` ([P] or [..., P])."""
    if not isinstance(task, Task) or not isinstance(model, Model):
        raise FieldError(("task",), "expected a Task and a Model (errorscape.nets.task(...), errorscape.nets.Model(...))")
    net = bind(model, task)
    theta = np.asarray(params, np.float32)
    if theta.ndim < 1 or theta.shape[-1] != net.size or not np.all(np.isfinite(theta)):
        raise FieldError(("params",), f"expected finite parameters [..., {net.size}], got shape {list(theta.shape)}")
    if int(np.prod(theta.shape[:-1])) > MAX_NETWORKS:
        raise FieldError(("params",), f"at most {MAX_NETWORKS} networks at once")
    steps = check_int("steps", steps, 1, MAX_STEPS)
    lr_v = LR.check(lr, ("lr",))
    lead = theta.shape[:-1]
    d = train_data(task)
    out, gn, loss = _program(net, steps)(jnp.asarray(theta.reshape(-1, net.size)), d, jnp.float32(lr_v))
    return Stationary(np.asarray(out).reshape(theta.shape), np.asarray(gn).reshape(lead), np.asarray(loss).reshape(lead))
