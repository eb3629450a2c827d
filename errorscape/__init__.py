"""errorscape: an interactive error-surface lab, and its notebook API.

    import errorscape as es
    run = es.simulate("narrow_valley", ["sgd", "adam"], starts={"grid": 8}, steps=300)
    run.loss.shape            # (2, 301, 64): configurations, steps + 1, starts
    es.analyze("saddle", [0.0, 0.0]).kind   # 'saddle'

Importing errorscape caps the CPU instruction set XLA may use (``XLA_FLAGS`` gains
``--xla_cpu_max_isa=AVX``), so that a run's numbers do not depend on which CPU computed them;
``ERRORSCAPE_CPU_FMA=1`` before the import lifts the cap.  See ``errorscape.surfaces.determinism``.

Sub-packages: :mod:`errorscape.surfaces` (the numerical core), :mod:`errorscape.server` (the web
app).  ``python -m errorscape serve`` starts the app.
"""

__version__ = "0.1.0"

from errorscape import plot
from errorscape.surfaces import (
    PRESETS,
    Chunk,
    FinalResult,
    OptimizerConfig,
    RunResult,
    Surface,
    get_surface,
    preset,
    simulate,
    simulate_chunks,
    simulate_final,
    surface_names,
)
from errorscape.surfaces.basins import BasinMap, basin_map
from errorscape.surfaces.critical import Analysis, FoundPoint, analyze, find_critical_points, minimum_ratio
from errorscape.surfaces.custom import custom_surface, surface_from_function
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.grid import LossGrid, loss_grid
from errorscape.surfaces.optax_rules import OPTAX_NAMES

OPTAX_OPTIMIZERS: tuple[str, ...] = OPTAX_NAMES
"""optax's optimizers the engine runs beside the lecture's rule: ``{"optax": name, "hyper": {...}}``."""

__all__ = [
    "OPTAX_OPTIMIZERS",
    "PRESETS",
    "Analysis",
    "BasinMap",
    "Chunk",
    "FieldError",
    "FinalResult",
    "FoundPoint",
    "LossGrid",
    "OptimizerConfig",
    "RunResult",
    "Surface",
    "__version__",
    "analyze",
    "basin_map",
    "custom_surface",
    "find_critical_points",
    "get_surface",
    "loss_grid",
    "minimum_ratio",
    "plot",
    "preset",
    "simulate",
    "simulate_chunks",
    "simulate_final",
    "surface_from_function",
    "surface_names",
]
