"""GET /api/health: alive, on which backend, and how busy."""

from __future__ import annotations

import secrets

import jax
from fastapi import APIRouter, Request

from errorscape import __version__, surfaces
from errorscape.server.dependencies import GateDep
from errorscape.server.models import HealthResponse, WarmUpOut

router = APIRouter(prefix="/api", tags=["health"])

# Tells replicas and --workers processes apart without saying anything about the machine
# (a process id would).
WORKER = secrets.token_hex(6)


@router.get("/health", response_model=HealthResponse)
async def health(request: Request, gate: GateDep) -> HealthResponse:
    w = request.app.state.warmup
    return HealthResponse(
        status="ok",
        backend=jax.default_backend(),
        devices=[str(d) for d in jax.devices()],
        compilations=surfaces.compilation_count() - request.app.state.compilations_at_start,
        version=__version__,
        in_flight=gate.in_flight,
        streams=request.app.state.connections.open,
        warmup=WarmUpOut(done=w.done, total=w.total, first_visit=w.first_visit, ready=w.ready, running=w.running),
        worker=WORKER,
    )
