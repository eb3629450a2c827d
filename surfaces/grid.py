"""The loss on a regular grid over a surface's domain, for contour and 3-D views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jax
import numpy as np

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.kernels import bucket
from errorscape.surfaces.limits import MAX_GRID_SIDE
from errorscape.surfaces.problem import loss_functions, make_env, resolve_params
from errorscape.surfaces.registry import DATA_SEED, Surface, get_surface, surface_cache


@dataclass(frozen=True)
class LossGrid:
    """The loss over a regular grid of the surface's domain."""

    x: np.ndarray  # [n]
    y: np.ndarray  # [n]
    z: np.ndarray  # [n, n]: z[i, j] is the loss at (x[j], y[i]); NaN where not finite


@surface_cache(custom_size=8)
def _evaluator(surface: Surface, split: str):
    full, _, test = loss_functions(surface)
    fn = full if split == "train" else test
    return jax.jit(jax.vmap(fn, in_axes=(0, None)))


def loss_grid(
    surface: str | Surface,
    n: int = 100,
    surface_params: Mapping[str, Any] | None = None,
    split: Literal["train", "test"] = "train",
    data_seed: int = DATA_SEED,
) -> LossGrid:
    """The full-batch loss on an ``n`` × ``n`` grid (2 to 512) over the surface's domain:
    ``split="test"`` for the test set's loss where the surface has one.  ``surface_params`` as
    in :func:`simulate`, and ``data_seed``.  Returns a :class:`LossGrid` (x [n], y [n], z [n, n])."""
    s = get_surface(surface)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_GRID_SIDE:
        raise FieldError(("n",), f"must be an integer between 2 and {MAX_GRID_SIDE}")
    if split not in ("train", "test"):
        raise FieldError(("split",), "must be 'train' or 'test'")
    if split == "test" and not s.has_test_set:
        raise FieldError(("split",), f"surface {s.name!r} has no test set")
    env = make_env(s, resolve_params(s, surface_params), data_seed)
    (x0, x1), (y0, y1) = s.domain
    x = np.linspace(x0, x1, n, dtype=np.float32)
    y = np.linspace(y0, y1, n, dtype=np.float32)
    xs, ys = np.meshgrid(x, y)
    points = np.stack([xs.ravel(), ys.ravel()], axis=1)
    padded = np.zeros((bucket(points.shape[0]), 2), np.float32)  # few shapes, few compiles
    padded[: points.shape[0]] = points
    z = np.asarray(_evaluator(s, split)(padded, env))[: points.shape[0]].reshape(n, n)
    return LossGrid(x=x, y=y, z=np.where(np.isfinite(z), z, np.nan))
