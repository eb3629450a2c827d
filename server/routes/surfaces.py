"""GET /api/surfaces: the catalogue; GET /api/surfaces/{name}/grid: the loss on a grid."""

from __future__ import annotations

import functools
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from errorscape import surfaces
from errorscape.server.dependencies import GateDep, SettingsDep
from errorscape.server.models import CriticalPointOut, GridResponse, ParamOut, SurfaceName, SurfaceOut, limit
from errorscape.server.requests import check_grid_side, surface_params
from errorscape.server.serialize import finite_list, model_response
from errorscape.surfaces.critical import known_critical_points
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.grid import loss_grid
from errorscape.surfaces.limits import MAX_GRID_SIDE

router = APIRouter(prefix="/api/surfaces", tags=["surfaces"])


@functools.cache
def _catalogue() -> list[SurfaceOut]:
    return [
        SurfaceOut(
            name=s.name,
            title=dict(s.titles),
            description=dict(s.descriptions),
            lecture=s.lecture,
            params=[ParamOut.of(p) for p in s.params],
            domain=[list(s.domain[0]), list(s.domain[1])],
            critical_points=[CriticalPointOut(point=list(c.point), kind=c.kind) for c in s.critical_points],
            default_starts=[list(p) for p in s.default_starts],
            has_test_set=s.has_test_set,
            n_examples=s.data().train.shape[0],
        )
        for s in surfaces.all_surfaces()
    ]


@router.get("", response_model=list[SurfaceOut])
async def list_surfaces() -> list[SurfaceOut]:
    return _catalogue()


@router.get(
    "/{name}/grid",
    response_model=GridResponse,
    description="The loss on an n × n grid over the surface's domain. Surface parameters are extra query parameters "
    "(e.g. `?kappa=300`); unknown names are refused.",
)
async def grid(
    request: Request,
    settings: SettingsDep,
    gate: GateDep,
    name: Annotated[SurfaceName, Path()],
    n: Annotated[int, Query(ge=2, le=MAX_GRID_SIDE, json_schema_extra=limit("max_grid"))] = 100,
    split: Annotated[Literal["train", "test"], Query()] = "train",
) -> Response:
    check_grid_side(n, settings, ("query", "n"))
    surface = surfaces.get_surface(name.value)
    raw = {k: v for k, v in request.query_params.items() if k not in ("n", "split")}
    params: dict[str, float] = {}
    for key, text in raw.items():
        try:
            params[key] = float(text)
        except ValueError:
            raise FieldError(("query", "surface_params"), "every surface parameter must be a number") from None
    checked = surface_params(surface, params)

    def answer() -> Response:
        result = loss_grid(surface, n, checked, split)
        points = known_critical_points(surface, checked) if split == "train" else []
        critical = [{"point": finite_list(p.point), "kind": p.kind} for p in points]
        return model_response(
            GridResponse, {"x": finite_list(result.x), "y": finite_list(result.y), "z": finite_list(result.z), "critical_points": critical}
        )

    return await gate.run(answer)
