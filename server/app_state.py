"""The browser app's state (static/js/state.js: the object mirrored in the URL hash) as a
pydantic model.  Lesson scenes are states of this kind: each is validated when the lessons are
built, so a mistyped field or an out-of-range value fails there instead of being clamped
silently by the page; ``run_request`` is the run the page sends for a state (state.js
``runRequest``), which the browser tests check the page sends verbatim."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, create_model, model_validator

from errorscape import surfaces
from errorscape.server.models import (
    STRICT,
    Coordinate,
    CustomSurfaceSpec,
    Integer,
    Number,
    OptaxSpec,
    RequestSurface,
    Seed,
    Steps,
    bounded,
)
from errorscape.server.settings import Settings
from errorscape.surfaces.fields import ChoiceField
from errorscape.surfaces.limits import MAX_CONFIGS
from errorscape.surfaces.optimizer import FIELDS
from errorscape.surfaces.problem import resolve_params
from errorscape.surfaces.registry import LANGUAGES

_DEFAULTS = Settings.model_fields
# What the page offers: the server's default limits (GET /api/limits serves the ones in force).
_MAX_STARTS: int = _DEFAULTS["max_starts"].default
_MAX_STEPS: int = _DEFAULTS["max_steps"].default


def _lecture_field(field: Any) -> tuple[Any, Any]:
    if isinstance(field, ChoiceField):
        return Literal[field.choices], ...
    return bounded(field), ...


class _Strict(BaseModel):
    model_config = STRICT


# A configuration of the lecture's rule as the page holds it: every field written out, except
# the decay horizon, which the request sets to the run's steps.
LectureConfig: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "LectureConfig", __base__=_Strict, **{f.name: _lecture_field(f) for f in FIELDS if f.name != "decay_steps"}
)


class StartsState(BaseModel):
    model_config = STRICT
    clicks: list[tuple[Coordinate, Coordinate]] = Field(default_factory=list)
    random: Annotated[Integer, Field(ge=0, le=_MAX_STARTS)] = 0
    grid: Annotated[Integer, Field(ge=0, le=math.isqrt(_MAX_STARTS))] = 0  # n × n starts
    defaults: StrictBool = True


class SelectedState(BaseModel):
    model_config = STRICT
    config: Annotated[Integer, Field(ge=0)]
    start: Annotated[Integer, Field(ge=0)]


class LessonMark(BaseModel):
    model_config = STRICT
    lesson: str  # a lesson's id
    scene: str  # one of its scenes' id


class AppState(BaseModel):
    """One state of the page (static/js/state.js ``defaultState`` lists the same fields)."""

    model_config = STRICT

    lang: Literal[LANGUAGES] = "en"  # type: ignore[valid-type]
    surface: RequestSurface
    custom: CustomSurfaceSpec | None = None
    params: dict[str, Number] = Field(default_factory=dict)
    starts: StartsState = Field(default_factory=StartsState)
    configs: Annotated[list[LectureConfig | OptaxSpec], Field(min_length=1, max_length=MAX_CONFIGS)]
    active: Annotated[Integer, Field(ge=0)] = 0
    steps: Annotated[Steps, Field(le=_MAX_STEPS)] = 300
    batch: Annotated[Integer, Field(ge=0)] = 0  # 0: full batch
    # Per configuration (compare mode races batch sizes): None takes ``batch``, 0 is full batch.
    batches: Annotated[list[Annotated[Integer, Field(ge=0)] | None], Field(max_length=MAX_CONFIGS)] = Field(default_factory=list)
    seed: Seed = 0
    view: Literal["contour", "3d"] = "contour"
    test: StrictBool = False
    selected: SelectedState | None = None
    speed: Number = 1.0
    lesson: LessonMark | None = None  # the lesson scene shown (a link or a reload keeps it)

    @model_validator(mode="after")
    def _consistent(self) -> AppState:
        if self.surface.value == "custom":
            return self
        surface = surfaces.get_surface(self.surface.value)
        resolve_params(surface, self.params)  # FieldError (a ValueError) names a bad parameter
        n = surface.data().train.shape[0]
        if self.batch > n or any(b is not None and b > n for b in self.batches):
            raise ValueError(f"batch: at most the surface's {n} examples")
        if len(self.batches) > len(self.configs):
            raise ValueError("batches: one per configuration at most")
        if self.active >= len(self.configs):
            raise ValueError("active: no such configuration")
        if self.test and not surface.has_test_set:
            raise ValueError(f"test: surface {surface.name!r} has no test set")
        if not self.start_points():
            raise ValueError("starts: the state has no start")
        return self

    def start_points(self) -> list[list[float]]:
        """state.js ``startPoints`` for the starts a scene uses: defaults, a grid, clicks (a
        scene has no random starts: those are the page's seeded generator's)."""
        if self.starts.random:
            raise ValueError("starts.random: random starts are drawn by the page")
        s = surfaces.get_surface(self.surface.value)
        (x0, x1), (y0, y1) = s.domain
        points = [list(p) for p in s.default_starts] if self.starts.defaults else []
        g = self.starts.grid
        points += [[x0 + (x1 - x0) * (j + 0.5) / g, y0 + (y1 - y0) * (i + 0.5) / g] for i in range(g) for j in range(g)]
        return points + [list(p) for p in self.starts.clicks]

    def run_request(self) -> dict[str, Any]:
        """state.js ``runRequest``: the body of the run the page sends for this state."""
        optimizers = [
            c.as_engine_spec() if isinstance(c, OptaxSpec) else {**c.model_dump(), "decay_steps": max(1, self.steps)} for c in self.configs
        ]
        return {
            "surface": self.surface.value,
            "surface_params": dict(self.params),
            "optimizers": optimizers,
            "starts": self.start_points(),
            "steps": self.steps,
            "batch_size": self.batch_size(),
            "seed": self.seed,
        }

    def batch_size(self) -> int | list[int | None] | None:
        """state.js ``batchSize``: one size for all, or a list when a configuration has its own."""
        own = [self.batches[i] if i < len(self.batches) else None for i in range(len(self.configs))]
        if all(b is None for b in own):
            return self.batch if self.batch > 0 else None
        sizes = [self.batch if b is None else b for b in own]
        return [b if b > 0 else None for b in sizes]
