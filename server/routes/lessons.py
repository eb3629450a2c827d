"""GET /api/lessons: the guided lessons and the general guide (content in server/lessons.py)."""

from __future__ import annotations

import functools

from fastapi import APIRouter

from errorscape.server.lessons import GUIDE, LESSONS
from errorscape.server.models import LessonsResponse
from errorscape.server.net_lessons import NET_LESSONS

router = APIRouter(prefix="/api", tags=["lessons"])


@functools.cache
def _lessons() -> LessonsResponse:
    return LessonsResponse.model_validate({"lessons": LESSONS + NET_LESSONS, "guide": GUIDE})


@router.get(
    "/lessons", response_model=LessonsResponse, description="The guided lessons (scenes of app state with text) and the general guide."
)
async def lessons() -> LessonsResponse:
    return _lessons()
