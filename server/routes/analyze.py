from __future__ import annotations

from fastapi import APIRouter, Request

from server.models import AnalyzeRequest, AnalyzeResponse, ErrorResponse
from server.requests import request_surface, surface_params
from server.serialize import finite_float, finite_list
from surfaces.critical import analyze

router = APIRouter(prefix="/api", tags=["analyze"])


@router.post(
    "/analyze",
    response_model=AnalyzeResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    description="Loss, gradient, Hessian, eigenvalues (ascending) and eigenvectors (columns) at a point, the verdict, "
    "and for a saddle the escape direction (the eigenvector of the most negative eigenvalue).",
)
async def analyze_point(req: AnalyzeRequest, request: Request) -> AnalyzeResponse:
    surface = request_surface(req)
    params = surface_params(surface, req.surface_params)
    a = await request.app.state.gate.run(lambda: analyze(surface, list(req.point), params))
    return AnalyzeResponse(
        loss=finite_float(a.loss),
        gradient=finite_list(a.gradient),
        hessian=finite_list(a.hessian),
        eigenvalues=finite_list(a.eigenvalues),
        eigenvectors=finite_list(a.eigenvectors),
        kind=a.kind,
        escape_direction=None if a.escape_direction is None else finite_list(a.escape_direction),
    )
