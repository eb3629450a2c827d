from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.models import BasinRequest, BasinResponse, ErrorResponse
from server.requests import basin_arguments
from server.serialize import finite_float, finite_list
from surfaces.basins import basin_map

router = APIRouter(prefix="/api", tags=["basin"])


@router.post(
    "/basin",
    response_model=BasinResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Runs one optimizer from every start of a grid × grid lattice over the domain and answers which known "
    "minimum each start reaches (`basin`, row by row, −1 for none or diverged) and its final loss.",
)
async def basin(req: BasinRequest, request: Request) -> JSONResponse:
    kwargs = basin_arguments(req, request.app.state.settings)
    m = await request.app.state.gate.run(lambda: basin_map(**kwargs))
    n = kwargs["grid"]
    return JSONResponse(
        {
            "grid": n,
            "x": finite_list(m.starts[:n, 0]),
            "y": finite_list(m.starts[::n, 1]),
            "basin": m.basin.tolist(),
            "final_loss": finite_list(m.final_loss),
            "minima": [{"point": finite_list(np.asarray(p.point)), "loss": finite_float(p.loss)} for p in m.minima],
        }
    )
