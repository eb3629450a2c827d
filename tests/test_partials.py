"""A surface's loss by coordinate and its partial derivatives: the same numbers as the
textbook JVP of the stacked θ, without arithmetic on zero tangents."""

from __future__ import annotations

import jax
import jax.extend.core as jex
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.partials import textbook_value_and_partials
from errorscape import surfaces
from errorscape.surfaces.custom import custom_surface
from errorscape.surfaces.partials import Coordinates, value_and_partials
from errorscape.surfaces.problem import loss_functions, make_env, resolve_params
from errorscape.surfaces.registry import DATA_SEED


def full_loss_and_env(surface):
    full, _, _ = loss_functions(surface)
    return full, make_env(surface, resolve_params(surface, None), DATA_SEED)


SURFACES = [surfaces.get_surface(name) for name in surfaces.surface_names()] + [
    custom_surface("log(1 + x**2) + exp(-y**2)*y + 1/(x**2 + 0.1)"),
]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_partials_equal_the_stacked_jvp_at_every_point(surface):
    full, env = full_loss_and_env(surface)
    new = jax.jit(jax.vmap(value_and_partials(full), in_axes=(0, 0, None)))
    old = jax.jit(jax.vmap(textbook_value_and_partials(full), in_axes=(0, 0, None)))
    (x0, x1), (y0, y1) = surface.domain
    rng = np.random.default_rng(7)
    # Inside the domain, far outside it, on the axes (zeros), and non-finite.
    xs = np.concatenate([rng.uniform(x0, x1, 400), rng.uniform(-50, 50, 50), np.zeros(8), [np.inf, -np.inf, np.nan, 1e30]])
    ys = np.concatenate([rng.uniform(y0, y1, 400), rng.uniform(-50, 50, 50), rng.uniform(y0, y1, 8), [0.5, np.nan, 0.0, 1e30]])
    xs, ys = xs.astype(np.float32), ys.astype(np.float32)
    (v_new, (gx_new, gy_new)), (v_old, (gx_old, gy_old)) = new(xs, ys, env), old(xs, ys, env)
    np.testing.assert_array_equal(np.asarray(v_new), np.asarray(v_old))
    # Where the engine computes on (inside the bound box; beyond it a run has diverged): at
    # 1e30 the textbook form's ∞·0 makes NaN where this form has the gradient.
    inside = (np.abs(xs) <= surface.bound) & (np.abs(ys) <= surface.bound)
    for a, b in ((gx_new, gx_old), (gy_new, gy_old)):
        a, b = np.asarray(a)[inside], np.asarray(b)[inside]
        # Bit for bit, but for the sign of a zero (a dropped term was ±0 added to a sum).
        assert np.array_equal(a, b, equal_nan=True)
        both = (a != 0) | np.isnan(a)
        np.testing.assert_array_equal(a[both].view(np.uint32), b[both].view(np.uint32))


def zero_arithmetic(closed) -> list[str]:
    """Multiplications and additions in a jaxpr with an operand that is a constant zero (a
    value computed from literals alone): what a zero tangent costs."""
    found = []
    known: dict = {}  # var -> its value, for vars computed from literals alone

    def value(v):
        return v.val if isinstance(v, jex.Literal) else known.get(v)

    for eqn in closed.jaxpr.eqns:
        args = [value(v) for v in eqn.invars]
        if eqn.primitive.name in ("mul", "add", "add_any", "sub") and any(a is not None and not np.any(a) for a in args):
            found.append(str(eqn))
        if eqn.invars and all(a is not None for a in args) and not eqn.primitive.multiple_results:
            known[eqn.outvars[0]] = np.asarray(eqn.primitive.bind(*args, **eqn.params))
    return found


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "narrow_valley"])
def test_no_arithmetic_on_zero_tangents(name):
    full, env = full_loss_and_env(surfaces.get_surface(name))
    x = y = jnp.float32(0.5)
    assert zero_arithmetic(jax.make_jaxpr(value_and_partials(full))(x, y, env)) == []
    # The check sees them where they are.
    assert zero_arithmetic(jax.make_jaxpr(textbook_value_and_partials(full))(x, y, env)) != []


@settings(max_examples=60, deadline=None)
@given(st.floats(-5, 5, width=32), st.floats(-5, 5, width=32), st.floats(-3, 3, width=32))
def test_coordinates_behave_as_the_stacked_vector(x, y, c):
    theta = Coordinates(jnp.float32(x), jnp.float32(y))
    vec = jnp.stack([jnp.float32(x), jnp.float32(y)])
    assert theta[0] is theta.x and theta[1] is theta.y and theta[-1] is theta.y and theta[np.int64(0)] is theta.x
    assert theta.shape == vec.shape and theta.dtype == vec.dtype
    c32 = jnp.float32(c)
    pairs = [
        (theta[:1], vec[:1]),
        (theta - c32, vec - c32),
        (c - theta, c - vec),
        (theta + c, vec + c),
        (c + theta, c + vec),
        (theta * c, vec * c),
        (c32 * theta, c32 * vec),
        (-theta, -vec),
        (jnp.ones(2, jnp.float32) * theta, jnp.ones(2, jnp.float32) * vec),
        (jnp.asarray(theta), vec),
    ]
    if c != 0:
        pairs.append((theta / c, vec / c))
    for got, want in pairs:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
