from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import surfaces
from server.models import ErrorResponse, RunRequest, RunResponse
from server.requests import run_arguments
from server.serialize import finite_list

router = APIRouter(prefix="/api", tags=["run"])


@router.post(
    "/run",
    response_model=RunResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Runs every optimizer from every start and answers whole trajectories. Runs of up to "
    "`max_rest_point_steps` (starts × steps × optimizers, 200,000 by default) are answered here; larger ones "
    "belong on the WebSocket `/ws/run`. Non-finite numbers are null.",
)
async def run(req: RunRequest, request: Request) -> JSONResponse:
    settings = request.app.state.settings
    kwargs = run_arguments(req, settings, settings.max_rest_point_steps, "; use the WebSocket /ws/run for larger runs")
    result = await request.app.state.gate.run(lambda: surfaces.simulate(**kwargs))
    return JSONResponse(
        {
            "positions": finite_list(result.positions),
            "loss": finite_list(result.loss),
            "grad_norm": finite_list(result.grad_norm),
            "test_loss": None if result.test_loss is None else finite_list(result.test_loss),
            "diverged_at": result.diverged_at.tolist(),
        }
    )
