"""POST /api/custom: a typed formula checked, compiled and drawn on a grid in one go."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from errorscape.server.dependencies import GateDep, SettingsDep
from errorscape.server.models import CustomGridRequest, CustomSurfaceResponse, ErrorResponse, ParamOut
from errorscape.server.requests import check_grid_side, spec_surface
from errorscape.server.serialize import finite_list, model_response
from errorscape.surfaces.grid import loss_grid
from errorscape.surfaces.registry import Surface

router = APIRouter(prefix="/api", tags=["custom"])


def _answer(surface: Surface, n: int) -> Response:
    grid = loss_grid(surface, n)
    return model_response(
        CustomSurfaceResponse,
        CustomSurfaceResponse(
            formula=surface.titles["en"],
            name=surface.name,
            domain=[list(surface.domain[0]), list(surface.domain[1])],
            default_starts=[list(p) for p in surface.default_starts],
            params=[ParamOut.of(p) for p in surface.params],
            description=dict(surface.descriptions),
            n_examples=surface.data().train.shape[0],
            x=finite_list(grid.x),
            y=finite_list(grid.y),
            z=finite_list(grid.z),
        ),
    )


@router.post(
    "/custom",
    response_model=CustomSurfaceResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Checks a formula in x and y (numbers, x, y, pi, e, + - * / ** or ^, unary minus, brackets, "
    "sin cos tan exp log sqrt abs tanh sigmoid minimum maximum), compiles it and answers the loss on an n × n grid "
    "over its domain. A refused formula is a 422 whose detail gives `column` and `end_column` (1-based, inclusive). "
    'Runs, analyses and basin maps then name `"surface": "custom"` with the same `custom` object.',
)
async def custom(req: CustomGridRequest, settings: SettingsDep, gate: GateDep) -> Response:
    check_grid_side(req.n, settings, ("body", "n"))
    surface = spec_surface(req.custom)
    return await gate.run(lambda: _answer(surface, req.n))
