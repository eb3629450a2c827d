"""GET /api/limits: the limits this server enforces, for clients that clamp before they ask."""

from __future__ import annotations

from fastapi import APIRouter

from errorscape.server.dependencies import SettingsDep
from errorscape.server.models import LimitsResponse, ParamOut
from errorscape.surfaces.basins import BASIN_PASSES
from errorscape.surfaces.custom import CUSTOM_PARAMS, MAX_COORDINATE
from errorscape.surfaces.formula import MAX_LENGTH
from errorscape.surfaces.limits import MAX_SEED

router = APIRouter(prefix="/api", tags=["limits"])


@router.get("/limits", response_model=LimitsResponse, description="Run sizes, grid sides, seeds and formula bounds in force here.")
async def limits(settings: SettingsDep) -> LimitsResponse:
    return LimitsResponse(
        max_starts=settings.max_starts,
        max_steps=settings.max_steps,
        max_configs=settings.max_configs,
        max_grid=settings.max_grid,
        max_basin_grid=settings.max_basin_grid,
        basin_passes=[g for g in BASIN_PASSES if g <= settings.max_basin_grid] or [settings.max_basin_grid],
        max_point_steps=settings.max_point_steps,
        max_rest_point_steps=settings.max_rest_point_steps,
        max_basin_point_steps=settings.max_basin_point_steps,
        max_seed=MAX_SEED,
        formula_max_length=MAX_LENGTH,
        domain_bound=MAX_COORDINATE,
        custom_params=[ParamOut.of(p) for p in CUSTOM_PARAMS],
    )
