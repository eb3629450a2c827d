from __future__ import annotations

import os
from importlib import metadata

import jax
from fastapi import APIRouter, Request

import surfaces
from server.models import HealthResponse

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health(request: Request) -> HealthResponse:
    try:
        version = metadata.version("errorscape")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return HealthResponse(
        status="ok",
        backend=jax.default_backend(),
        devices=[str(d) for d in jax.devices()],
        compilations=surfaces.compilation_count() - request.app.state.compilations_at_start,
        version=version,
        in_flight=request.app.state.gate.in_flight,
        worker=os.getpid(),
    )
