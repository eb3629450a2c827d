"""errorscape's numerical core: toy loss surfaces, one optimizer rule, a batched engine and
Hessian analysis.  Pure JAX and NumPy; nothing here knows about the web."""

from surfaces.determinism import cap_cpu_instruction_set

cap_cpu_instruction_set()  # before anything starts JAX's CPU backend: see surfaces/determinism.py

from surfaces import catalog as _catalog  # noqa: F401  (registers the built-in surfaces)
from surfaces.compilations import compilation_count
from surfaces.engine import (
    CHUNK_STEPS,
    MAX_CONFIGS,
    Chunk,
    FinalResult,
    RunResult,
    simulate,
    simulate_chunks,
    simulate_final,
)
from surfaces.optimizer import PRESETS, OptimizerConfig, preset
from surfaces.registry import CriticalPoint, Param, Surface, all_surfaces, get_surface, surface_names
from surfaces.sampling import grid_starts, random_starts

__all__ = [
    "CHUNK_STEPS",
    "MAX_CONFIGS",
    "PRESETS",
    "Chunk",
    "CriticalPoint",
    "FinalResult",
    "OptimizerConfig",
    "Param",
    "RunResult",
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
