"""Basins of attraction: which known minimum each start of a dense grid ends in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from errorscape.surfaces.critical import KINDS, FoundPoint, find_critical_points, known_critical_points, point_kinds
from errorscape.surfaces.engine import simulate_final
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.limits import MAX_GRID
from errorscape.surfaces.registry import DATA_SEED, Surface, get_surface
from errorscape.surfaces.sampling import grid_starts

# The grid sides of a basin map drawn in passes, coarse first, so that a map appears at once and
# sharpens (the page draws these; the server compiles their programs ahead).
BASIN_PASSES = (32, 64, 128)


@dataclass(frozen=True)
class BasinMap:
    """Which minimum each start of a lattice reaches (see :func:`basin_map`)."""

    starts: np.ndarray  # [n*n, 2], row by row (y outer, x inner)
    basin: np.ndarray  # [n*n] int32: index into ``minima``, −1 for none reached or diverged
    final_loss: np.ndarray  # [n*n], NaN where diverged
    minima: tuple[FoundPoint, ...]


def classify(surface: Surface, ends: np.ndarray, minima: list[FoundPoint] | tuple[FoundPoint, ...]) -> np.ndarray:
    """Index of the nearest known minimum within the surface's basin radius, else −1."""
    if not minima:
        return np.full(ends.shape[0], -1, np.int32)
    # One minimum at a time over contiguous coordinates (a [starts, minima, 2] array and a
    # norm over its short last axis cost a 512² map a sixth of its time): the same distances,
    # √(dx² + dy²) in the same precision, and the first of equally near minima.
    centres = np.stack([m.point for m in minima])
    dtype = np.result_type(ends.dtype, centres.dtype)
    x, y = ends[:, 0].astype(dtype), ends[:, 1].astype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        dx, dy = x[None, :] - centres[:, :1].astype(dtype), y[None, :] - centres[:, 1:].astype(dtype)
        d = np.sqrt(dx * dx + dy * dy)
    d[np.isnan(d)] = np.inf
    nearest = np.argmin(d, axis=0)
    ok = np.isfinite(x) & np.isfinite(y) & (d[nearest, np.arange(len(x))] <= surface.basin_radius)
    return np.where(ok, nearest, -1).astype(np.int32)


def basin_map(
    surface: str | Surface,
    optimizer: Any,
    grid: int = 128,
    steps: int = 300,
    batch_size: int | None = None,
    seed: int = 0,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
) -> BasinMap:
    """Which minimum each start of a ``grid`` × ``grid`` lattice over the domain reaches under
    one ``optimizer`` (any form :func:`simulate` takes) after ``steps`` updates.

    Returns a :class:`BasinMap`: ``starts`` [grid², 2] (row by row, y outer), ``basin``
    [grid²] (index into ``minima``, −1 for none or diverged), ``final_loss`` [grid²] and the
    ``minima`` (the surface's known ones, or those :func:`find_critical_points` finds).
    ``grid`` is 2 to 2,048; ``steps``, ``batch_size``, ``seed``, ``surface_params`` and ``data_seed`` are as in
    :func:`simulate`."""
    s = get_surface(surface)
    if isinstance(grid, bool) or not isinstance(grid, int) or not 2 <= grid <= MAX_GRID:
        raise FieldError(("grid",), f"must be an integer between 2 and {MAX_GRID}")
    starts = grid_starts(s, grid)
    result = simulate_final(s, [optimizer], starts, steps, batch_size, seed, surface_params, data_seed)
    # A surface without declared critical points (a typed formula) uses the ones the Newton
    # search finds in its domain.
    points = (
        known_critical_points(s, surface_params, data_seed)
        if s.critical_points
        else find_critical_points(s, surface_params, data_seed=data_seed)
    )
    minima = tuple(m for m in points if m.kind == "minimum")
    ends = result.positions[0]
    return BasinMap(starts=starts, basin=classify(s, ends, minima), final_loss=result.loss[0], minima=minima)


def end_minima(
    surface: str | Surface,
    ends: np.ndarray,
    surface_params: Mapping[str, Any] | None = None,
    data_seed: int = DATA_SEED,
    kinds: np.ndarray | None = None,
) -> list[tuple[FoundPoint, list[int]]]:
    """The surface's known minima at these parameters, lowest loss first (the global one
    first), each with how many end points of every configuration (``ends`` [C, S, 2]) lie
    within the surface's basin radius of it: the share of starts that reached each minimum.
    An end point the Hessian calls a saddle or a maximum reached no minimum, however near
    (the two-weight network's branches of minima pass within the radius of its saddle).
    ``kinds`` [C, S]: the verdicts at ``ends`` where the caller has them already."""
    s = get_surface(surface)
    minima = sorted((m for m in known_critical_points(s, surface_params, data_seed) if m.kind == "minimum"), key=lambda m: m.loss)
    which = []
    for c, row in enumerate(ends):
        pts = np.asarray(row, np.float32)
        verdicts = point_kinds(s, pts, surface_params, data_seed) if kinds is None else kinds[c]
        away = np.isin(verdicts, [KINDS.index("saddle"), KINDS.index("maximum")])
        which.append(np.where(away, -1, classify(s, pts, minima)))
    return [(m, [int((w == i).sum()) for w in which]) for i, m in enumerate(minima)]


def is_global(minima: list[FoundPoint] | tuple[FoundPoint, ...], i: int) -> bool:
    """Whether ``minima[i]`` is the one global minimum: lower than every other by more than
    round-off (Himmelblau's four minima all have loss 0, and none of them is *the* global one)."""
    loss = minima[i].loss
    return all(m.loss - loss > 1e-6 * (1.0 + abs(loss)) for k, m in enumerate(minima) if k != i)
