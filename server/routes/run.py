"""POST /api/run: whole trajectories in one JSON answer, for runs small enough to answer at once."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from errorscape import surfaces
from errorscape.server.dependencies import GateDep, SettingsDep
from errorscape.server.models import ErrorResponse, RunRequest, RunResponse
from errorscape.server.requests import run_arguments
from errorscape.server.serialize import finite_list, model_response

router = APIRouter(prefix="/api", tags=["run"])


def _answer(result: surfaces.RunResult) -> Response:
    return model_response(
        RunResponse,
        {
            "positions": finite_list(result.positions),
            "loss": finite_list(result.loss),
            "grad_norm": finite_list(result.grad_norm),
            "test_loss": None if result.test_loss is None else finite_list(result.test_loss),
            "diverged_at": result.diverged_at.tolist(),
        },
    )


@router.post(
    "/run",
    response_model=RunResponse,
    responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Runs every optimizer from every start and answers whole trajectories. Runs of up to "
    "`max_rest_point_steps` (starts × steps × optimizers, see GET /api/limits) are answered here; larger ones "
    "belong on the WebSocket `/ws/run`. Non-finite numbers are null.",
)
async def run(req: RunRequest, settings: SettingsDep, gate: GateDep) -> Response:
    kwargs = run_arguments(req, settings, settings.max_rest_point_steps, "; use the WebSocket /ws/run for larger runs")
    return await gate.run(lambda: _answer(surfaces.simulate(**kwargs)))
