"""Request and response models.  Numbers are numbers (a JSON true or "1" is refused), finite
(NaN and ±Infinity are refused) and bounded; unknown fields are refused."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, StrictInt, Tag, model_validator

import surfaces
from surfaces.optax_rules import OPTAX_NAMES
from surfaces.optimizer import MOMENTUM_MODES, PRESETS, SIGMA_MODES
from surfaces.schedule import SCHEDULES

STRICT = ConfigDict(allow_inf_nan=False, extra="forbid")


def _number_only(value: Any) -> Any:
    # pydantic's lax mode would read true as 1 and "0.5" as 0.5: a toggle or a string sent
    # where a number belongs is a client bug, refused rather than guessed.
    if isinstance(value, (bool, str, bytes)):
        raise ValueError("expected a number")
    return value


Number = Annotated[float, BeforeValidator(_number_only)]
Integer = Annotated[int, BeforeValidator(_number_only)]

SurfaceName = enum.Enum("SurfaceName", {n: n for n in surfaces.surface_names()}, type=str)  # type: ignore[misc]
# What a request may name: a built-in surface, or "custom" with the formula in ``custom``.
RequestSurface = enum.Enum("RequestSurface", {**{n: n for n in surfaces.surface_names()}, "custom": "custom"}, type=str)  # type: ignore[misc]
OptaxName = enum.Enum("OptaxName", {n: n for n in OPTAX_NAMES}, type=str)  # type: ignore[misc]
PresetName = enum.Enum("PresetName", {n: n for n in PRESETS}, type=str)  # type: ignore[misc]
MomentumMode = enum.Enum("MomentumMode", {n: n for n in MOMENTUM_MODES}, type=str)  # type: ignore[misc]
SigmaMode = enum.Enum("SigmaMode", {n: n for n in SIGMA_MODES}, type=str)  # type: ignore[misc]
ScheduleName = enum.Enum("ScheduleName", {n: n for n in SCHEDULES}, type=str)  # type: ignore[misc]

Coordinate = Annotated[Number, Field(ge=-1e6, le=1e6)]
SurfaceParams = dict[Annotated[str, Field(max_length=64)], Annotated[Number, Field(ge=-1e9, le=1e9)]]


class OptimizerSpec(BaseModel):
    """One configuration: a preset, any of whose parts may be overridden, or parts alone."""

    model_config = STRICT

    preset: PresetName | None = None
    lr: Annotated[Number, Field(gt=0, le=100)] | None = None
    momentum: MomentumMode | None = None
    lam: Annotated[Number, Field(ge=0, le=0.999)] | None = None
    beta1: Annotated[Number, Field(ge=0, le=0.9999)] | None = None
    sigma: SigmaMode | None = None
    alpha: Annotated[Number, Field(ge=0, le=0.9999)] | None = None
    beta2: Annotated[Number, Field(ge=0, le=0.99999)] | None = None
    eps: Annotated[Number, Field(ge=0, le=1)] | None = None
    schedule: ScheduleName | None = None
    decay_rate: Annotated[Number, Field(gt=0, le=1)] | None = None
    decay_steps: Annotated[Number, Field(ge=1, le=1e7)] | None = None
    warmup_steps: Annotated[Number, Field(ge=0, le=1e7)] | None = None

    def as_engine_spec(self) -> dict[str, Any]:
        values = {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in self.model_dump(exclude_none=True).items()}
        return values if "preset" in values else {"preset": "sgd", **values}


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

Bound = Annotated[Number, Field(ge=-1000, le=1000)]


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
    grid: Annotated[Integer, Field(ge=1, le=1024)]


class RandomStarts(BaseModel):
    model_config = STRICT
    random: Annotated[Integer, Field(ge=1, le=1 << 20)]


class RunRequest(_OnSurface):
    """The fields of ``surfaces.simulate``."""

    surface_params: SurfaceParams = Field(default_factory=dict)
    optimizers: Annotated[list[AnyOptimizer], Field(min_length=1, max_length=8)]
    starts: list[tuple[Coordinate, Coordinate]] | GridStarts | RandomStarts | None = None
    steps: Annotated[Integer, Field(ge=1, le=100_000)] = 100
    batch_size: Annotated[Integer, Field(ge=1, le=1 << 20)] | None = None
    seed: Annotated[Integer, Field(ge=0, le=2**32 - 1)] = 0


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


class BasinRequest(_OnSurface):
    surface_params: SurfaceParams = Field(default_factory=dict)
    optimizer: AnyOptimizer
    grid: Annotated[Integer, Field(ge=2, le=2048)] = 128
    steps: Annotated[Integer, Field(ge=1, le=100_000)] = 300
    batch_size: Annotated[Integer, Field(ge=1, le=1 << 20)] | None = None
    seed: Annotated[Integer, Field(ge=0, le=2**32 - 1)] = 0


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

    @classmethod
    def of(cls, p: surfaces.Param) -> ParamOut:
        return cls(name=p.name, min=p.minimum, max=p.maximum, default=p.default, description=p.description)


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
    n: Annotated[Integer, Field(ge=2, le=512)] = 100


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


class HyperOut(BaseModel):
    name: str
    min: float
    max: float
    default: float
    min_allowed: bool  # false: the minimum itself is refused (a learning rate of 0)
    log: bool  # best shown on a log scale


class StaticOut(BaseModel):
    name: str
    choices: list[Any]
    default: Any
    note: str  # why it is static: changing it compiles a new program


class OptaxOut(BaseModel):
    name: str
    description: str
    hyper: list[HyperOut]
    static: list[StaticOut]


class OptimizersResponse(BaseModel):
    presets: dict[str, dict[str, Any]]  # the lecture's presets, as OptimizerSpec fields
    optax: list[OptaxOut]


class GridResponse(BaseModel):
    x: list[float]
    y: list[float]
    z: list[list[float | None]]  # z[i][j] at (x[j], y[i]); null where not finite


class HealthResponse(BaseModel):
    status: Literal["ok"]
    backend: str
    devices: list[str]
    compilations: int
    version: str
    in_flight: int  # computations running or waiting now
    worker: int  # this process's id: tells replicas and --workers processes apart


class ErrorResponse(BaseModel):
    detail: Any


class SceneOut(BaseModel):
    id: str
    state: dict[str, Any]  # the browser app's state (static/js/state.js), as in its URL hash
    text: dict[str, str]  # language -> what to look at
    analyze: list[float] | None  # open the Hessian panel at this point
    panel: Literal["timing"] | None  # an extra panel the scene shows


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
