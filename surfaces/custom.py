"""Surfaces made at run time from a typed formula (see :mod:`surfaces.formula`).

A formula has no data set, so one is supplied with a stated model, the same as the built-in
additive-noise surfaces: 64 examples e_i, standard normal vectors in ± pairs, and

    loss_i(x, y) = f(x, y) + noise · (e_i,x · x + e_i,y · y).

The mean over all 64 is exactly f (the pairs cancel), so with ``noise`` = 0 (the default) or
full batches every step sees the formula itself; a minibatch of B sees f plus a random tilt
whose size shrinks like noise/√B.

A custom surface is named ``custom:<digest of the canonical formula and domain>``: equal
formulas typed differently (spaces, ^ for **) are one surface and share compiled programs.
The most recent few are remembered by name (surfaces.registry.CUSTOM_SURFACES).
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from errorscape.surfaces.catalog import noise_param, noise_surface
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.formula import parse
from errorscape.surfaces.registry import CUSTOM_PREFIX, Array, Params, Surface, get_surface, remember_custom

DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))
MAX_COORDINATE = 1000.0
MIN_WIDTH = 1e-3
NOISE_MODEL = (
    "loss_i(x, y) = f(x, y) + noise·(e_i,x·x + e_i,y·y) over 64 examples e_i ~ N(0, I) in ± pairs: "
    "the full batch sees exactly f, a batch of B a random tilt of size ~ noise/√B"
)


# Every typed formula's parameters: the minibatch noise of the model above, off by default.
CUSTOM_PARAMS = (noise_param(0.0),)


def check_domain(domain: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """[[x0, x1], [y0, y1]] with finite bounds inside ±MAX_COORDINATE and x0 < x1, y0 < y1."""
    if domain is None:
        return DEFAULT_DOMAIN
    try:
        (x0, x1), (y0, y1) = domain
        values = [float(v) for v in (x0, x1, y0, y1)]
    except (TypeError, ValueError):
        raise FieldError(("domain",), "expected [[x_min, x_max], [y_min, y_max]]") from None
    if any(isinstance(v, bool) for v in (x0, x1, y0, y1)):
        raise FieldError(("domain",), "expected numbers")
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in values):
        raise FieldError(("domain",), f"every bound must be finite and within ±{MAX_COORDINATE:g}")
    if values[1] - values[0] < MIN_WIDTH or values[3] - values[2] < MIN_WIDTH:
        raise FieldError(("domain",), f"each range must have min < max (by at least {MIN_WIDTH:g})")
    return (values[0], values[1]), (values[2], values[3])


def custom_surface(formula: Any, domain: Any = None) -> Surface:
    """The surface of a typed formula in x and y over ``domain`` (``[[x0, x1], [y0, y1]]``, default
    ±3).  A bad formula raises FormulaError with the columns at fault; a bad domain FieldError."""
    parsed = parse(formula)
    dom = check_domain(domain)
    digest = hashlib.sha256(f"{parsed.text}|{dom!r}".encode()).hexdigest()[:20]
    name = CUSTOM_PREFIX + digest
    try:
        return get_surface(name)
    except ValueError:
        pass
    fn = parsed.fn

    def f(theta: Array, params: Params) -> Array:
        return fn(theta[0], theta[1])

    (x0, x1), (y0, y1) = dom
    w, h = x1 - x0, y1 - y0
    text = parsed.text
    surface = noise_surface(
        f,
        name=name,
        titles={"en": text, "zh-TW": text, "zh-CN": text},
        descriptions={
            "en": f"Your formula. Minibatch noise model: {NOISE_MODEL}.",
            "zh-TW": f"你輸入的公式。小批次雜訊模型：{NOISE_MODEL}。",
            "zh-CN": f"你输入的公式。小批次噪声模型：{NOISE_MODEL}。",
        },
        domain=dom,
        lecture="custom",
        params=CUSTOM_PARAMS,
        default_starts=((x0 + 0.15 * w, y0 + 0.85 * h), (x0 + 0.85 * w, y0 + 0.8 * h), (x0 + 0.5 * w, y0 + 0.15 * h)),
        basin_radius=0.05 * max(w, h),
    )
    return remember_custom(surface)


_FUNCTION_SURFACES = itertools.count(1)


def surface_from_function(
    f: Callable[[Any, Any], Any],
    domain: Any = None,
    *,
    name: str | None = None,
    default_starts: Sequence[Sequence[float]] | None = None,
) -> Surface:
    """A surface from a Python function ``f(x, y)`` of two scalars that JAX can trace (written
    with ``jax.numpy``: ``lambda x, y: x**2 + 10 * jnp.sin(y)``), over ``domain``
    (``[[x0, x1], [y0, y1]]``, default ±3), with the same minibatch-noise model as a typed
    formula (parameter ``noise``, 0 by default).  Compiled programs belong to this surface
    object: two surfaces of the same name never share one.  A function JAX cannot trace (an
    ``if`` on x, ``math.sin``, NumPy on a traced value) raises FieldError at once, saying so."""
    if not callable(f):
        raise FieldError(("f",), "expected a function f(x, y) returning the loss")
    dom = check_domain(domain)
    scalar = jax.ShapeDtypeStruct((), jnp.float32)
    try:
        out = jax.eval_shape(f, scalar, scalar)
    except Exception as err:
        raise FieldError(
            ("f",),
            f"JAX cannot trace f ({type(err).__name__}): write it with jax.numpy operations, jnp.where instead "
            "of if, jnp.sin instead of math.sin or numpy",
        ) from err
    if getattr(out, "shape", None) != ():
        raise FieldError(("f",), f"f(x, y) must return one number, got shape {getattr(out, 'shape', type(out).__name__)}")
    label = name or getattr(f, "__name__", "f")
    (x0, x1), (y0, y1) = dom
    w, h = x1 - x0, y1 - y0
    starts = default_starts or ((x0 + 0.15 * w, y0 + 0.85 * h), (x0 + 0.85 * w, y0 + 0.8 * h), (x0 + 0.5 * w, y0 + 0.15 * h))

    def loss(theta: Array, params: Params) -> Array:
        return jnp.asarray(f(theta[0], theta[1]), jnp.float32)

    text = f"{label} (a Python function). Minibatch noise model: {NOISE_MODEL}."
    return noise_surface(
        loss,
        name=f"{CUSTOM_PREFIX}function-{next(_FUNCTION_SURFACES)}-{label}",
        titles={"en": label, "zh-TW": label, "zh-CN": label},
        descriptions={"en": text, "zh-TW": text, "zh-CN": text},
        domain=dom,
        lecture="custom",
        params=CUSTOM_PARAMS,
        default_starts=tuple(tuple(float(v) for v in p) for p in starts),
        basin_radius=0.05 * max(w, h),
    )
