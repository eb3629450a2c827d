"""Request and response models.  Numbers are numbers (a JSON true or "1" is refused), finite
(NaN and ±Infinity are refused) and bounded; unknown fields are refused."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, StrictBool, StrictInt, Tag, create_model, model_validator

from errorscape import surfaces
from errorscape.surfaces.custom import MAX_COORDINATE
from errorscape.surfaces.fields import ChoiceField, NumberField
from errorscape.surfaces.limits import MAX_BATCH, MAX_CONFIGS, MAX_GRID, MAX_GRID_SIDE, MAX_SEED, MAX_STARTS, MAX_STEPS
from errorscape.surfaces.optax_rules import OPTAX_NAMES
from errorscape.surfaces.optimizer import FIELDS, PRESETS

STRICT = ConfigDict(allow_inf_nan=False, extra="forbid")


# Strict numbers: pydantic's lax mode would read true as 1 and "0.5" as 0.5; a toggle or a
# string sent where a number belongs is a client bug, refused rather than guessed.  Strict
# types keep their bounds as JSON Schema keywords (minimum, exclusiveMinimum, maximum).
Number = Annotated[float, Strict()]
Integer = Annotated[int, Strict()]


def limit(setting: str) -> dict[str, Any]:
    """Marks a bound that the server's settings may lower (see ``Settings``): the OpenAPI
    schema then states the bound in force (server/app.py), and the request is refused above it."""
    return {"x-limit": setting}


def bounded(field: NumberField) -> Any:
    """A declared number (surfaces/fields.py) as a strict, bounded request field."""
    low = Field(ge=field.low) if field.low_ok else Field(gt=field.low)
    return Annotated[Number, low, Field(le=field.high, description=field.description)]


SurfaceName = enum.Enum("SurfaceName", {n: n for n in surfaces.surface_names()}, type=str)  # type: ignore[misc]
# What a request may name: a built-in surface, or "custom" with the formula in ``custom``.
RequestSurface = enum.Enum("RequestSurface", {**{n: n for n in surfaces.surface_names()}, "custom": "custom"}, type=str)  # type: ignore[misc]
OptaxName = enum.Enum("OptaxName", {n: n for n in OPTAX_NAMES}, type=str)  # type: ignore[misc]
PresetName = enum.Enum("PresetName", {n: n for n in PRESETS}, type=str)  # type: ignore[misc]

Coordinate = Annotated[Number, Field(ge=-1e6, le=1e6)]  # a transport bound: each surface checks its own box
Steps = Annotated[Integer, Field(ge=1, le=MAX_STEPS, json_schema_extra=limit("max_steps"))]
BatchSize = Annotated[Integer, Field(ge=1, le=MAX_BATCH, description="examples per update; at most the surface's n_examples")]
# One batch size for all configurations, or one per configuration (null: full batch), so
# compare mode can race batch sizes.
BatchSizes = BatchSize | Annotated[list[BatchSize | None], Field(min_length=1, max_length=MAX_CONFIGS)]
Seed = Annotated[Integer, Field(ge=0, le=MAX_SEED)]
GridSide = Annotated[Integer, Field(ge=2, le=MAX_GRID_SIDE, json_schema_extra=limit("max_grid"))]
SurfaceParams = dict[Annotated[str, Field(max_length=64)], Annotated[Number, Field(ge=-1e9, le=1e9)]]


class _LectureSpec(BaseModel):
    model_config = STRICT

    def as_engine_spec(self) -> dict[str, Any]:
        values = {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in self.model_dump(exclude_none=True).items()}
        return values if "preset" in values else {"preset": "sgd", **values}


def _lecture_field(field: Any) -> tuple[Any, Any]:
    if isinstance(field, ChoiceField):
        choice = enum.Enum(field.name.title(), {c: c for c in field.choices}, type=str)  # type: ignore[misc]
        return choice | None, Field(None, description=field.description)
    return bounded(field) | None, None


# One configuration of the lecture's rule: a preset, any of whose parts may be overridden, or
# parts alone.  Built from the rule's declaration (surfaces/optimizer.py FIELDS).
OptimizerSpec: type[_LectureSpec] = create_model(  # type: ignore[call-overload]
    "OptimizerSpec",
    __base__=_LectureSpec,
    __doc__="One configuration: a preset, any of whose parts may be overridden, or parts alone.",
    preset=(PresetName | None, None),
    **{f.name: _lecture_field(f) for f in FIELDS},
)


class OptaxSpec(BaseModel):
    """One of optax's optimizers: its name and hyperparameters (GET /api/optimizers lists them)."""

    model_config = STRICT

    optax: OptaxName
    # Numbers for hyperparameters; true/false and integers for static values (a flag, a seed).
    hyper: dict[Annotated[str, Field(max_length=64)], StrictBool | StrictInt | Annotated[Number, Field(ge=-1e9, le=1e9)]] = Field(
        default_factory=dict, max_length=16
    )

    def as_engine_spec(self) -> dict[str, Any]:
        return {"optax": self.optax.value, "hyper": dict(self.hyper)}


def _optimizer_kind(value: Any) -> str:
    if isinstance(value, OptaxSpec) or (isinstance(value, dict) and "optax" in value):
        return "optax"
    return "lecture"


# A configuration of the lecture's rule, or an optax optimizer (told apart by the "optax" key).
AnyOptimizer = Annotated[
    Annotated[OptimizerSpec, Tag("lecture")] | Annotated[OptaxSpec, Tag("optax")],
    Discriminator(_optimizer_kind),
]

Bound = Annotated[Number, Field(ge=-MAX_COORDINATE, le=MAX_COORDINATE)]


class CustomSurfaceSpec(BaseModel):
    """A surface typed as a formula in x and y over a domain (see surfaces/formula.py)."""

    model_config = STRICT

    formula: Annotated[str, Field(max_length=1000)]
    domain: tuple[tuple[Bound, Bound], tuple[Bound, Bound]] | None = None


class _OnSurface(BaseModel):
    """Requests about a surface: a built-in one by name, or ``"custom"`` with ``custom``."""

    model_config = STRICT

    surface: RequestSurface
    custom: CustomSurfaceSpec | None = None

    @model_validator(mode="after")
    def _custom_goes_with_custom(self) -> _OnSurface:
        if (self.surface.value == "custom") != (self.custom is not None):
            raise ValueError('custom: give the formula in "custom" exactly when surface is "custom"')
        return self


class GridStarts(BaseModel):
    model_config = STRICT
    grid: Annotated[Integer, Field(ge=1, le=MAX_GRID, description="n × n starts over the domain; n² counts against max_starts")]


class RandomStarts(BaseModel):
    model_config = STRICT
    random: Annotated[Integer, Field(ge=1, le=MAX_STARTS, json_schema_extra=limit("max_starts"))]


class RunRequest(_OnSurface):
    """The fields of ``surfaces.simulate``."""

    surface_params: SurfaceParams = Field(default_factory=dict)
    optimizers: Annotated[list[AnyOptimizer], Field(min_length=1, max_length=MAX_CONFIGS, json_schema_extra=limit("max_configs"))]
    starts: (
        Annotated[list[tuple[Coordinate, Coordinate]], Field(min_length=1, max_length=MAX_STARTS, json_schema_extra=limit("max_starts"))]
        | GridStarts
        | RandomStarts
        | None
    ) = None
    steps: Steps = 100
    batch_size: BatchSizes | None = None
    seed: Seed = 0


class RunResponse(BaseModel):
    positions: list[list[list[list[float | None]]]]  # [C][T+1][S][2]
    loss: list[list[list[float | None]]]  # [C][T+1][S]
    grad_norm: list[list[list[float | None]]]
    test_loss: list[list[list[float | None]]] | None
    diverged_at: list[list[int]]  # [C][S], −1 for never


class AnalyzeRequest(_OnSurface):
    surface_params: SurfaceParams = Field(default_factory=dict)
    point: tuple[Coordinate, Coordinate]


class AnalyzeResponse(BaseModel):
    loss: float | None
    gradient: list[float | None]
    hessian: list[list[float | None]]
    eigenvalues: list[float | None]
    eigenvectors: list[list[float | None]]  # columns are eigenvectors, as in numpy.linalg.eigh
    kind: Literal["minimum", "maximum", "saddle", "not_critical", "degenerate"]
    escape_direction: list[float | None] | None
    escape_point: list[float | None] | None  # where the page's "escape" button puts a new start
    eigenvalue_signs: list[int]  # −1, 0 or 1 per eigenvalue, with the verdict's tolerance for 0


class BasinRequest(_OnSurface):
    surface_params: SurfaceParams = Field(default_factory=dict)
    optimizer: AnyOptimizer
    grid: Annotated[Integer, Field(ge=2, le=MAX_GRID, json_schema_extra=limit("max_basin_grid"))] = 128
    steps: Steps = 300
    batch_size: BatchSize | None = None
    seed: Seed = 0


class MinimumOut(BaseModel):
    point: list[float]
    loss: float | None


class BasinResponse(BaseModel):
    grid: int
    x: list[float]
    y: list[float]
    basin: list[int]  # row by row (y outer, x inner): index into minima, −1 for none
    final_loss: list[float | None]
    minima: list[MinimumOut]


class ParamOut(BaseModel):
    name: str
    min: float
    max: float
    default: float
    description: str
    labels: dict[str, str]  # what the slider says, per language

    @classmethod
    def of(cls, p: surfaces.Param) -> ParamOut:
        labels = dict(p.labels)
        return cls(name=p.name, min=p.minimum, max=p.maximum, default=p.default, description=p.description, labels=labels)


class CriticalPointOut(BaseModel):
    point: list[float]
    kind: str


class SurfaceOut(BaseModel):
    name: str
    title: dict[str, str]
    description: dict[str, str]
    lecture: str
    params: list[ParamOut]
    domain: list[list[float]]
    critical_points: list[CriticalPointOut]
    default_starts: list[list[float]]
    has_test_set: bool
    n_examples: int  # the training set's size: the largest batch


class CustomGridRequest(BaseModel):
    model_config = STRICT
    custom: CustomSurfaceSpec
    n: GridSide = 100


class CustomSurfaceResponse(BaseModel):
    formula: str  # canonical form: what was understood
    name: str  # custom:<digest>, stable for equal formulas
    domain: list[list[float]]
    default_starts: list[list[float]]
    params: list[ParamOut]
    description: dict[str, str]
    n_examples: int
    x: list[float]
    y: list[float]
    z: list[list[float | None]]


class ShownWhenOut(BaseModel):
    field: str
    values: list[str]


class NumberFieldOut(BaseModel):
    """A declared number (surfaces/fields.py): bounds, default and how its control shows it."""

    name: str
    kind: Literal["number"]
    min: float
    max: float
    min_allowed: bool  # false: the minimum itself is refused (a learning rate of 0)
    default: float
    log: bool  # best shown on a log scale
    control_min: float  # the slider's range, inside [min, max]
    control_max: float
    control: bool  # false: no control; the page derives the value
    integer: bool
    shown_when: ShownWhenOut | None  # the field matters only when this choice takes one of these values
    description: str


class ChoiceFieldOut(BaseModel):
    name: str
    kind: Literal["choice"]
    choices: list[str]
    default: str
    description: str


class StaticOut(BaseModel):
    name: str
    choices: list[Any]
    default: Any
    note: str  # why it is static: changing it compiles a new program


class OptaxOut(BaseModel):
    name: str
    description: str
    hyper: list[NumberFieldOut]  # optax's hyperparameters are declared numbers too
    static: list[StaticOut]


class OptimizersResponse(BaseModel):
    fields: list[NumberFieldOut | ChoiceFieldOut]  # the lecture rule's fields, in the order the page shows them
    presets: dict[str, dict[str, Any]]  # the lecture's presets, every field set
    optax: list[OptaxOut]


class GridResponse(BaseModel):
    x: list[float]
    y: list[float]
    z: list[list[float | None]]  # z[i][j] at (x[j], y[i]); null where not finite
    # The surface's critical points where they are for these parameters (train split; the
    # declared ones refined by Newton, dropped where none is left nearby).
    critical_points: list[CriticalPointOut]


class LimitsResponse(BaseModel):
    """The limits in force on this server (its settings within the core's hard limits) and the
    bounds of what a page may type: one source for every control that clamps."""

    max_starts: int
    max_steps: int
    max_configs: int
    max_grid: int  # loss grid side
    max_basin_grid: int
    basin_passes: list[int]  # a basin map's grid sides, drawn coarse first
    max_point_steps: int  # WebSocket run: starts × steps × configurations
    max_rest_point_steps: int  # POST /api/run
    max_basin_point_steps: int
    max_seed: int
    formula_max_length: int
    domain_bound: float  # a typed formula's domain lies within ±domain_bound
    custom_params: list[ParamOut]  # a typed formula's parameters


class WarmUpOut(BaseModel):
    done: int  # warm-up steps done
    total: int
    first_visit: int  # how many of the first steps a first visit needs
    ready: bool  # the first visit's programs are compiled (or no warm-up is running)
    running: bool


class HealthResponse(BaseModel):
    status: Literal["ok"]
    backend: str
    devices: list[str]
    compilations: int
    version: str
    in_flight: int  # computations running or waiting now
    streams: int  # WebSocket connections open now
    warmup: WarmUpOut
    worker: str  # a random token per process: tells replicas and --workers processes apart


class ErrorResponse(BaseModel):
    detail: Any


class SceneOut(BaseModel):
    id: str
    state: dict[str, Any]  # the browser app's state (static/js/state.js), as in its URL hash
    text: dict[str, str]  # language -> what to look at
    analyze: list[float] | None  # open the Hessian panel at this point
    chart: str  # the chart beside the loss chart the scene talks about (server/lessons.py CHARTS, net_lessons.py LAB_CHARTS)
    lab: dict[str, Any] | None = None  # a scene of the network lab: the lab's state (static/js/labstate.js)


class LessonOut(BaseModel):
    id: str
    title: dict[str, str]
    claim: dict[str, str]
    scenes: list[SceneOut]


class GuideBranchOut(BaseModel):
    id: str
    text: dict[str, str]
    lessons: list[str]  # ids of the lessons that show this branch
    children: list[GuideBranchOut]


class GuideOut(BaseModel):
    title: dict[str, str]
    root: GuideBranchOut
    speed: GuideBranchOut


class LessonsResponse(BaseModel):
    lessons: list[LessonOut]
    guide: GuideOut


class TimingResponse(BaseModel):
    device: str
    batch_sizes: list[int]
    update_ms: list[float]  # median time of one update
    epoch_ms: list[float]  # one epoch of n_examples: update time × updates per epoch
    n_examples: int
