from __future__ import annotations

import functools

from fastapi import APIRouter, Request

from server.lessons import GUIDE, LESSONS
from server.models import ErrorResponse, LessonsResponse, TimingResponse
from server.serialize import finite_float
from surfaces.timing import measure

router = APIRouter(prefix="/api", tags=["lessons"])


@functools.cache
def _lessons() -> LessonsResponse:
    return LessonsResponse.model_validate({"lessons": LESSONS, "guide": GUIDE})


@router.get(
    "/lessons", response_model=LessonsResponse, description="The guided lessons (scenes of app state with text) and the general guide."
)
async def lessons() -> LessonsResponse:
    return _lessons()


@router.get(
    "/timing",
    response_model=TimingResponse,
    responses={503: {"model": ErrorResponse}},
    description="Time per SGD update and per epoch against batch size for a small network, measured on this server's device.",
)
async def timing(request: Request) -> TimingResponse:
    # Measured once per app (a few seconds), on the first request; later requests get the same
    # figures. The lock makes concurrent first requests wait for one measurement.
    state = request.app.state
    async with state.timing_lock:
        if state.timing is None:
            t = await state.gate.run(measure)
            state.timing = TimingResponse(
                device=t.device,
                batch_sizes=list(t.batch_sizes),
                update_ms=[finite_float(1000.0 * v) or 0.0 for v in t.update_s],
                epoch_ms=[finite_float(1000.0 * v) or 0.0 for v in t.epoch_s],
                n_examples=t.n_examples,
            )
    return state.timing
