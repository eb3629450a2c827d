"""The surface record and the table of registered surfaces.

A surface is data, not a class hierarchy: everything the engine, the server and the
browser need to know about it lives in one frozen record (optimistix's test-function
table is the model).  The loss is written for one parameter vector θ ∈ R² and one
example; the engine batches it with ``jax.vmap``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jax
import numpy as np

Array = jax.Array
# A value that is a NumPy array while a problem is assembled on the host and a jax.Array once
# it is on the device: the same NamedTuples (hyperparameters, environments) carry both.
Tensor = Any
Params = Mapping[str, Array]
ExampleLoss = Callable[[Array, Array, Params], Array]
# (examples [N, k]) -> statistics [N, d] whose batch mean determines the batch loss.
ExampleStats = Callable[[Array], Array]
# (theta [2], mean statistics [d], params) -> mean loss over the batch.
ReducedLoss = Callable[[Array, Array, Params], Array]
# (numpy Generator) -> (train [N, k], test [M, k] or None), float64.
DataMaker = Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray | None]]

LANGUAGES = ("en", "zh-TW", "zh-CN")
CriticalKind = Literal["minimum", "maximum", "saddle"]


@dataclass(frozen=True)
class Param:
    """A declared, bounded surface parameter; its value reaches the loss as a float32 array."""

    name: str
    minimum: float
    maximum: float
    default: float
    description: str = ""


@dataclass(frozen=True)
class CriticalPoint:
    """A known critical point at the default parameters.

    ``point`` is exact where the formula gives it and a close hint otherwise; either way
    ``surfaces.critical.known_critical_points`` refines it by Newton's method on the
    full-batch loss before it is used, so hints only have to land in the right basin.
    """

    point: tuple[float, float]
    kind: CriticalKind


@dataclass(frozen=True)
class Surface:
    name: str
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    example_loss: ExampleLoss
    make_data: DataMaker
    domain: tuple[tuple[float, float], tuple[float, float]]
    lecture: str
    params: tuple[Param, ...] = ()
    critical_points: tuple[CriticalPoint, ...] = ()
    default_starts: tuple[tuple[float, float], ...] = ()
    # Optional closed form of the batch mean: when every per-example loss is a fixed
    # function of θ plus terms linear in per-example statistics, the mean over any batch
    # equals ``reduced_loss(θ, mean(stats(batch)))``.  The engine then costs one loss
    # evaluation per step whatever the batch size; tests check both forms agree.
    example_stats: ExampleStats | None = None
    reduced_loss: ReducedLoss | None = None
    # A trajectory counts as having reached a known minimum when it ends this close to it.
    basin_radius: float = 0.25

    @property
    def has_test_set(self) -> bool:
        return self.data(DATA_SEED).test is not None

    def data(self, seed: int = 0) -> DataSet:
        """The surface's generated data set, made once per seed and kept (it is small)."""
        key = (self.name, int(seed))
        cached = _DATA_CACHE.get(key)
        if cached is None:
            train, test = self.make_data(np.random.default_rng(int(seed)))
            cached = DataSet(train=train, test=test)
            _DATA_CACHE[key] = cached
        return cached

    @property
    def bound(self) -> float:
        """Leaving this box (10× the plot domain's largest coordinate) counts as diverged."""
        (x0, x1), (y0, y1) = self.domain
        return 10.0 * max(abs(x0), abs(x1), abs(y0), abs(y1))

    def param_defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}

    def minima(self) -> tuple[CriticalPoint, ...]:
        return tuple(c for c in self.critical_points if c.kind == "minimum")


@dataclass(frozen=True)
class DataSet:
    train: np.ndarray
    test: np.ndarray | None


# The data set is part of what a surface *is*: every run, grid and analysis uses this seed
# unless told otherwise, so the surface a student sees is the same on every machine.
DATA_SEED = 0
_DATA_CACHE: dict[tuple[str, int], DataSet] = {}
_REGISTRY: dict[str, Surface] = {}


def register(surface: Surface) -> Surface:
    if surface.name in _REGISTRY:
        raise ValueError(f"surface {surface.name!r} is registered twice")
    missing = [lang for lang in LANGUAGES if lang not in surface.titles or lang not in surface.descriptions]
    if missing:
        raise ValueError(f"surface {surface.name!r} lacks title or description in {missing}")
    if (surface.example_stats is None) != (surface.reduced_loss is None):
        raise ValueError(f"surface {surface.name!r}: example_stats and reduced_loss come together")
    _REGISTRY[surface.name] = surface
    return surface


def get_surface(name: str | Surface) -> Surface:
    if isinstance(name, Surface):
        return name
    if not isinstance(name, str):
        raise ValueError(f"surface: expected a surface name, got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"surface: unknown surface {name!r}; known surfaces: {known}") from None


def surface_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def all_surfaces() -> tuple[Surface, ...]:
    return tuple(_REGISTRY.values())
