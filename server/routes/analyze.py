"""POST /api/analyze: the Hessian at a point and what kind of point it is."""

from __future__ import annotations

from fastapi import APIRouter

from errorscape.server.dependencies import GateDep
from errorscape.server.models import AnalyzeRequest, AnalyzeResponse, ErrorResponse
from errorscape.server.requests import request_surface, surface_params
from errorscape.server.serialize import finite_float, finite_list
from errorscape.surfaces.critical import analyze

router = APIRouter(prefix="/api", tags=["analyze"])


@router.post(
    "/analyze",
    response_model=AnalyzeResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Loss, gradient, Hessian, eigenvalues (ascending) and eigenvectors (columns) at a point, the verdict, "
    "and for a saddle the escape direction (the eigenvector of the most negative eigenvalue).",
)
async def analyze_point(req: AnalyzeRequest, gate: GateDep) -> AnalyzeResponse:
    surface = request_surface(req)
    params = surface_params(surface, req.surface_params)
    a = await gate.run(lambda: analyze(surface, list(req.point), params))
    return AnalyzeResponse(
        loss=finite_float(a.loss),
        gradient=finite_list(a.gradient),
        hessian=finite_list(a.hessian),
        eigenvalues=finite_list(a.eigenvalues),
        eigenvectors=finite_list(a.eigenvectors),
        kind=a.kind,
        escape_direction=None if a.escape_direction is None else finite_list(a.escape_direction),
        escape_point=None if a.escape_point is None else finite_list(a.escape_point),
        eigenvalue_signs=[int(v) for v in a.eigenvalue_signs],
    )
