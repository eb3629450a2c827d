"""errorscape's numerical core: toy loss surfaces, one optimizer rule, a batched engine and
Hessian analysis.  Pure JAX and NumPy; nothing here knows about the web."""

from errorscape.surfaces.determinism import cap_cpu_instruction_set

cap_cpu_instruction_set()  # before anything starts JAX's CPU backend: see surfaces/determinism.py

from errorscape.surfaces import compile_cache as _compile_cache

_compile_cache.enable_from_environment()  # a second process loads what a first compiled

from errorscape.surfaces import catalog as _catalog  # noqa: F401  (registers the built-in surfaces)
from errorscape.surfaces.compilations import compilation_count
from errorscape.surfaces.engine import (
    CHUNK_STEPS,
    MAX_CONFIGS,
    Chunk,
    FinalResult,
    RunResult,
    RunSpec,
    simulate,
    simulate_chunks,
    simulate_final,
)
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.optimizer import PRESETS, OptimizerConfig, preset
from errorscape.surfaces.registry import CriticalPoint, Param, Surface, all_surfaces, get_surface, surface_names
from errorscape.surfaces.sampling import grid_starts, random_starts

__all__ = [
    "CHUNK_STEPS",
    "MAX_CONFIGS",
    "PRESETS",
    "Chunk",
    "CriticalPoint",
    "FieldError",
    "FinalResult",
    "OptimizerConfig",
    "Param",
    "RunResult",
    "RunSpec",
    "Surface",
    "all_surfaces",
    "compilation_count",
    "get_surface",
    "grid_starts",
    "preset",
    "random_starts",
    "simulate",
    "simulate_chunks",
    "simulate_final",
    "surface_names",
]
