"""POST /api/basin: which minimum each start of a lattice reaches."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter
from fastapi.responses import Response

from errorscape.server.dependencies import GateDep, SettingsDep
from errorscape.server.models import BasinRequest, BasinResponse, ErrorResponse
from errorscape.server.requests import basin_arguments
from errorscape.server.serialize import finite_float, finite_list, model_response
from errorscape.surfaces.basins import BasinMap, basin_map

router = APIRouter(prefix="/api", tags=["basin"])


def _answer(m: BasinMap, n: int) -> Response:
    return model_response(
        BasinResponse,
        {
            "grid": n,
            "x": finite_list(m.starts[:n, 0]),
            "y": finite_list(m.starts[::n, 1]),
            "basin": m.basin.tolist(),
            "final_loss": finite_list(m.final_loss),
            "minima": [{"point": finite_list(np.asarray(p.point)), "loss": finite_float(p.loss)} for p in m.minima],
        },
    )


@router.post(
    "/basin",
    response_model=BasinResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Runs one optimizer from every start of a grid × grid lattice over the domain and answers which known "
    "minimum each start reaches (`basin`, row by row, −1 for none or diverged) and its final loss.",
)
async def basin(req: BasinRequest, settings: SettingsDep, gate: GateDep) -> Response:
    kwargs = basin_arguments(req, settings)
    return await gate.run(lambda: _answer(basin_map(**kwargs), kwargs["grid"]))
