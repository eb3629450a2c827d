"""GET /api/optimizers: the lecture rule's fields and presets, and optax's optimizers with their
controls; all from their declarations in the core."""

from __future__ import annotations

import dataclasses
import functools

from fastapi import APIRouter

from errorscape.server.models import OptimizersResponse
from errorscape.surfaces.optax_rules import OPTAX_RULES
from errorscape.surfaces.optimizer import FIELDS, PRESETS

router = APIRouter(prefix="/api", tags=["optimizers"])


@functools.cache
def _listing() -> OptimizersResponse:
    return OptimizersResponse.model_validate(
        {
            "fields": [f.listing() for f in FIELDS],
            "presets": {name: dataclasses.asdict(config) for name, config in PRESETS.items()},
            "optax": [
                {
                    "name": name,
                    "description": rule.description,
                    "hyper": [h.listing() for h in rule.hypers],
                    "static": [{"name": s.name, "choices": list(s.choices), "default": s.default, "note": s.note} for s in rule.statics],
                }
                for name, rule in OPTAX_RULES.items()
            ],
        }
    )


@router.get(
    "/optimizers",
    response_model=OptimizersResponse,
    description="The lecture rule's fields (bounds, defaults, choices, the control's range and scale, and which "
    "choice a field belongs to), its presets, and the optax optimizers a run may name "
    '(`{"optax": name, "hyper": {...}}`) with each hyperparameter\'s range and default. Hyperparameters are traced '
    "(changing them compiles nothing); the values under `static` are compiled into the program, so changing one "
    "compiles anew (the compile cache is bounded).",
)
async def optimizers() -> OptimizersResponse:
    return _listing()
