"""The surface record and the table of registered surfaces.

A surface is data, not a class hierarchy: everything the engine, the server and the
browser need to know about it lives in one frozen record (optimistix's test-function
table is the model).  The loss is written for one parameter vector θ ∈ R² and one
example; the engine batches it with ``jax.vmap``.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import jax
import numpy as np

from errorscape.surfaces.errors import FieldError

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
    # What the page's slider says, per language: (("en", …), ("zh-TW", …), ("zh-CN", …)); the
    # name where absent.  Pairs, not a dict: a surface (and so its parameters) stays hashable.
    labels: tuple[tuple[str, str], ...] = ()


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
        return _data_set(self, int(seed))

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
_REGISTRY: dict[str, Surface] = {}

# Surfaces made at run time (typed formulas) are remembered by name, a bounded number of
# them, least recently used first out: a flood of distinct formulas cannot grow memory.
CUSTOM_PREFIX = "custom:"
CUSTOM_SURFACES = 32
_CUSTOM: OrderedDict[str, Surface] = OrderedDict()
_CUSTOM_LOCK = threading.Lock()

R = TypeVar("R")


def surface_key(surface: Surface) -> str | int:
    """What compiled programs and cached data are keyed by: a registered surface's name, or a
    run-time surface's identity.  Two surfaces made from different functions may share a
    name; they never share a program.  Whoever keys by identity keeps the surface alive beside
    the entry, so the identity is not reused while the entry exists."""
    return surface.name if is_registered(surface) else id(surface)


def surface_cache(custom_size: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Memoise ``fn(surface, *args)`` by (surface_key(surface), *args).

    Entries for registered surfaces are kept for good (there are a fixed few).  Entries for
    custom surfaces live in an LRU of ``custom_size``: what they hold (jitted functions and
    their executables, data) is dropped with them.  The function gets the surface object,
    never looks it up by name, so an entry evicted meanwhile cannot make it fail."""

    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        fixed: dict[tuple, R] = {}
        recent: OrderedDict[tuple, tuple[Surface, R]] = OrderedDict()  # the surface keeps its id unique
        lock = threading.Lock()

        @functools.wraps(fn)
        def cached(surface: Surface, *args: Any) -> R:
            key = (surface_key(surface), *args)
            builtin = is_registered(surface)
            with lock:
                if builtin and key in fixed:
                    return fixed[key]
                if not builtin and key in recent:
                    recent.move_to_end(key)
                    return recent[key][1]
            value = fn(surface, *args)
            with lock:
                if builtin:
                    fixed[key] = value
                else:
                    recent[key] = (surface, value)
                    while len(recent) > cached.custom_size:  # type: ignore[attr-defined]
                        recent.popitem(last=False)
            return value

        def sizes() -> tuple[int, int]:
            """(registered entries, custom entries) held now."""
            return len(fixed), len(recent)

        cached.sizes = sizes  # type: ignore[attr-defined]
        cached.custom_size = custom_size  # type: ignore[attr-defined]
        _SURFACE_CACHES.append(cached)
        return cached

    return decorate


_SURFACE_CACHES: list[Callable[..., Any]] = []


def surface_caches() -> list[Callable[..., Any]]:
    """Every function memoised with :func:`surface_cache` (each has ``sizes()`` and ``custom_size``)."""
    return list(_SURFACE_CACHES)


@surface_cache(custom_size=8)
def _data_set(surface: Surface, seed: int) -> DataSet:
    """The surface's generated data set, made once per seed and kept (it is small)."""
    train, test = surface.make_data(np.random.default_rng(seed))
    return DataSet(train=train, test=test)


def remember_custom(surface: Surface) -> Surface:
    """Keep a run-time surface findable by name (the most recent CUSTOM_SURFACES of them)."""
    if not surface.name.startswith(CUSTOM_PREFIX):
        raise ValueError(f"a custom surface's name starts with {CUSTOM_PREFIX!r}")
    with _CUSTOM_LOCK:
        _CUSTOM[surface.name] = surface
        _CUSTOM.move_to_end(surface.name)
        while len(_CUSTOM) > CUSTOM_SURFACES:  # read at each call: tests lower it
            _CUSTOM.popitem(last=False)
    return surface


def custom_surface_count() -> int:
    return len(_CUSTOM)


def register(surface: Surface) -> Surface:
    if surface.name.startswith(CUSTOM_PREFIX):
        raise ValueError(f"surface {surface.name!r}: the prefix {CUSTOM_PREFIX!r} is kept for formulas")
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
    """The surface of that name (``surface_names()``, or a typed formula's ``custom:…`` name);
    a :class:`Surface` is returned as it is.  An unknown name raises FieldError."""
    if isinstance(name, Surface):
        return name
    if not isinstance(name, str):
        raise FieldError(("surface",), f"expected a surface name, got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        with _CUSTOM_LOCK:
            found = _CUSTOM.get(name)
            if found is not None:
                _CUSTOM.move_to_end(name)
                return found
        known = ", ".join(sorted(_REGISTRY))
        raise FieldError(("surface",), f"unknown surface {name!r}; known surfaces: {known}") from None


def is_registered(surface: Surface) -> bool:
    """A built-in surface (kept for good), as opposed to one made at run time from a formula."""
    return _REGISTRY.get(surface.name) is surface


def surface_names() -> tuple[str, ...]:
    """The built-in surfaces' names, in the catalogue's order."""
    return tuple(_REGISTRY)


def all_surfaces() -> tuple[Surface, ...]:
    return tuple(_REGISTRY.values())
