from __future__ import annotations

import functools
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

import surfaces
from server.models import GridResponse, ParamOut, SurfaceName, SurfaceOut
from server.requests import surface_params
from server.serialize import finite_list
from surfaces.grid import loss_grid

router = APIRouter(prefix="/api/surfaces", tags=["surfaces"])


@functools.cache
def _catalogue() -> list[dict]:
    out = []
    for s in surfaces.all_surfaces():
        out.append(
            SurfaceOut(
                name=s.name,
                title=dict(s.titles),
                description=dict(s.descriptions),
                lecture=s.lecture,
                params=[ParamOut.of(p) for p in s.params],
                domain=[list(s.domain[0]), list(s.domain[1])],
                critical_points=[{"point": list(c.point), "kind": c.kind} for c in s.critical_points],
                default_starts=[list(p) for p in s.default_starts],
                has_test_set=s.has_test_set,
                n_examples=s.data().train.shape[0],
            ).model_dump()
        )
    return out


@router.get("", response_model=list[SurfaceOut])
async def list_surfaces() -> JSONResponse:
    return JSONResponse(_catalogue())


@router.get(
    "/{name}/grid",
    response_model=GridResponse,
    description="The loss on an n × n grid over the surface's domain. Surface parameters are extra query parameters "
    "(e.g. `?kappa=300`); unknown names are refused.",
)
async def grid(
    request: Request,
    name: Annotated[SurfaceName, Path()],
    n: Annotated[int, Query(ge=2, le=512)] = 100,
    split: Annotated[Literal["train", "test"], Query()] = "train",
) -> JSONResponse:
    settings = request.app.state.settings
    if n > settings.max_grid:
        raise ValueError(f"n: at most {settings.max_grid}")
    surface = surfaces.get_surface(name.value)
    raw = {k: v for k, v in request.query_params.items() if k not in ("n", "split")}
    params: dict[str, float] = {}
    for key, text in raw.items():
        try:
            params[key] = float(text)
        except ValueError:
            raise ValueError("surface_params: every surface parameter must be a number") from None
    checked = surface_params(surface, params)
    result = await request.app.state.gate.run(lambda: loss_grid(surface, n, checked, split))
    return JSONResponse({"x": finite_list(result.x), "y": finite_list(result.y), "z": finite_list(result.z)})
