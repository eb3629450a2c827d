"""GET /api/timing: time per update against batch size, measured on this server's device."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from errorscape.server.dependencies import GateDep
from errorscape.server.models import ErrorResponse, TimingResponse
from errorscape.server.serialize import finite_float
from errorscape.surfaces.timing import measure

router = APIRouter(prefix="/api", tags=["timing"])


class TimingCache:
    """The figures, measured once per app on the first request (a few seconds); the lock makes
    concurrent first requests wait for one measurement."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.figures: TimingResponse | None = None


@router.get(
    "/timing",
    response_model=TimingResponse,
    responses={503: {"model": ErrorResponse}},
    description="Time per SGD update and per epoch against batch size for a small network, measured on this server's device.",
)
async def timing(request: Request, gate: GateDep) -> TimingResponse:
    cache: TimingCache = request.app.state.timing
    async with cache.lock:
        if cache.figures is None:
            t = await gate.run(measure)
            cache.figures = TimingResponse(
                device=t.device,
                batch_sizes=list(t.batch_sizes),
                update_ms=[finite_float(1000.0 * v) or 0.0 for v in t.update_s],
                epoch_ms=[finite_float(1000.0 * v) or 0.0 for v in t.epoch_s],
                n_examples=t.n_examples,
            )
    return cache.figures
