"""GET /api/optimizers: the lecture's presets and optax's optimizers with their controls."""

from __future__ import annotations

import dataclasses
import functools

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server.models import OptimizersResponse
from surfaces.optax_rules import OPTAX_RULES
from surfaces.optimizer import PRESETS

router = APIRouter(prefix="/api", tags=["optimizers"])


@functools.cache
def _listing() -> dict:
    return OptimizersResponse(
        presets={name: dataclasses.asdict(config) for name, config in PRESETS.items()},
        optax=[
            {
                "name": name,
                "description": rule.description,
                "hyper": [
                    {"name": h.name, "min": h.low, "max": h.high, "default": h.default, "min_allowed": h.low_ok, "log": h.log}
                    for h in rule.hypers
                ],
                "static": [{"name": s.name, "choices": list(s.choices), "default": s.default, "note": s.note} for s in rule.statics],
            }
            for name, rule in OPTAX_RULES.items()
        ],
    ).model_dump()


@router.get(
    "/optimizers",
    response_model=OptimizersResponse,
    description='The lecture\'s presets, and the optax optimizers a run may name (`{"optax": name, "hyper": {...}}`) with '
    "each hyperparameter's range and default. Hyperparameters are traced (changing them compiles nothing); the values "
    "under `static` are compiled into the program, so changing one compiles anew (the compile cache is bounded).",
)
async def optimizers() -> JSONResponse:
    return JSONResponse(_listing())
