"""A surface's loss as a function of the two coordinates, and its partial derivatives.

The engine keeps x and y in arrays of their own (see kernels.Carry) and differentiates a loss
along each coordinate separately, in forward mode: everything stays scalar arithmetic per
point, and XLA never materialises a [C, S, 2] intermediate (reverse mode would assemble the
gradient vector and slice it apart again every step).

Each partial is the JVP of the loss as a function of that coordinate alone, the other held
fixed.  The textbook form, one JVP of θ ↦ f(θ) with the tangent (1, 0) and another with
(0, 1), carries the zero tangent through every operation: x·0, 1 − 2·(y·0), (1 − x)·(−0), …
XLA cannot fold them (x·0 is not 0 when x is infinite or NaN), so they ran every step (a sixth
of the arithmetic of Adam on Rosenbrock).  For finite values the two forms agree: the dropped
terms are zeros added to a sum.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

Array = jax.Array


class Coordinates:
    """θ = (x, y) as a surface's loss sees it: ``theta[0]`` and ``theta[1]`` are x and y
    themselves (so a JVP along x never touches y); arithmetic and slices see the stacked
    vector, as with an array.  A jnp function takes ``jnp.asarray(theta)`` (JAX no longer
    converts such objects itself); every registered surface is tested through this class."""

    shape = (2,)

    def __init__(self, x: Array, y: Array) -> None:
        self.x, self.y = x, y
        self.dtype = x.dtype

    def __getitem__(self, i: Any) -> Array:
        try:
            index = operator.index(i)
        except TypeError:
            return self.__jax_array__()[i]
        return (self.x, self.y)[index]

    def __jax_array__(self) -> Array:
        return jnp.stack([self.x, self.y])

    # Python numbers on the left, or these on the left: as the stacked vector.  (A JAX array
    # on the left takes this object through __jax_array__.)
    def __add__(self, other: Any) -> Array:
        return self.__jax_array__() + other

    def __radd__(self, other: Any) -> Array:
        return other + self.__jax_array__()

    def __sub__(self, other: Any) -> Array:
        return self.__jax_array__() - other

    def __rsub__(self, other: Any) -> Array:
        return other - self.__jax_array__()

    def __mul__(self, other: Any) -> Array:
        return self.__jax_array__() * other

    def __rmul__(self, other: Any) -> Array:
        return other * self.__jax_array__()

    def __truediv__(self, other: Any) -> Array:
        return self.__jax_array__() / other

    def __neg__(self) -> Array:
        return -self.__jax_array__()


def by_coordinate(fn: Callable[..., Array]) -> Callable[..., Array]:
    """``fn(θ, *rest)`` as ``f(x, y, *rest)``."""
    return lambda x, y, *rest: fn(Coordinates(x, y), *rest)


def value_and_partials(fn: Callable[..., Array]) -> Callable[..., tuple[Array, tuple[Array, Array]]]:
    """``fn(θ, *rest)`` as ``(x, y, *rest) ↦ (f, (∂f/∂x, ∂f/∂y))``."""

    def vg(x: Array, y: Array, *rest: Any) -> tuple[Array, tuple[Array, Array]]:
        f = by_coordinate(fn)
        one = jnp.ones_like(x)
        value, gx = jax.jvp(lambda a: f(a, y, *rest), (x,), (one,))
        _, gy = jax.jvp(lambda b: f(x, b, *rest), (y,), (one,))
        return value, (gx, gy)

    return vg
