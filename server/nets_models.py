"""Request models of the network lab (errorscape.nets).  Like the surfaces' (models.py): strict,
finite, bounded numbers, unknown fields refused; the bounds are the core's declarations and
the lab's limits (surfaces/limits.py)."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from errorscape.nets.landscape import PLANE_KIND, SPAN
from errorscape.nets.model import ACTIVATION, INIT_SCALE, LOSS, NORM
from errorscape.nets.tasks import FEATURE_SCALE, LABEL_NOISE, SHIFT, TASK_NAMES, TASKS
from errorscape.server.models import STRICT, AnyOptimizer, Integer, Number, Seed, bounded
from errorscape.surfaces.fields import ChoiceField
from errorscape.surfaces.limits import (
    MAX_CONFIGS,
    MAX_LAB_DEPTH,
    MAX_LAB_NETWORKS,
    MAX_LAB_POINTS,
    MAX_LAB_STEPS,
    MAX_NET_WIDTH,
    MAX_PLANE_SIDE,
)


def choice(field: ChoiceField) -> Any:
    """A declared choice as a string enum (its members are the declared choices)."""
    return enum.Enum(field.name.title().replace("_", ""), {c: c for c in field.choices}, type=str)


TaskName = enum.Enum("TaskName", {n: n for n in TASK_NAMES}, type=str)  # type: ignore[misc]
Activation = choice(ACTIVATION)
Norm = choice(NORM)
Loss = choice(LOSS)
PlaneKind = choice(PLANE_KIND)
Points = Annotated[Integer, Field(ge=1, le=MAX_LAB_POINTS)]
# Each task checks its own noise bound (TASKS[name].noise); this is the widest.
Noise = Annotated[Number, Field(ge=0.0, le=max(s.noise.high for s in TASKS.values()))]
LabBatch = Annotated[Integer, Field(ge=1, le=MAX_LAB_POINTS, description="examples per update; at most n_train")]


class TaskSpec(BaseModel):
    """The fields of ``errorscape.nets.task``."""

    model_config = STRICT

    name: TaskName
    n_train: Points = 256
    n_test: Points = 256
    noise: Noise | None = None
    shift: bounded(SHIFT) = SHIFT.default  # type: ignore[valid-type]
    label_noise: bounded(LABEL_NOISE) = LABEL_NOISE.default  # type: ignore[valid-type]
    feature_scale: bounded(FEATURE_SCALE) = FEATURE_SCALE.default  # type: ignore[valid-type]
    seed: Seed = 0


class ModelSpec(BaseModel):
    """The fields of ``errorscape.nets.Model``."""

    model_config = STRICT

    hidden: Annotated[list[Annotated[Integer, Field(ge=1, le=MAX_NET_WIDTH)]], Field(max_length=MAX_LAB_DEPTH)] = [16, 16]
    activation: Activation = Activation(ACTIVATION.default)  # type: ignore[valid-type]
    norm: Norm = Norm(NORM.default)  # type: ignore[valid-type]
    loss: Loss = Loss(LOSS.default)  # type: ignore[valid-type]
    init_scale: bounded(INIT_SCALE) = INIT_SCALE.default  # type: ignore[valid-type]


class LabSpec(BaseModel):
    """A lab run: the fields of ``errorscape.nets.train``.  ``batch_size`` is one size, or one
    per configuration (null: full batch)."""

    model_config = STRICT

    task: TaskSpec
    model: ModelSpec = Field(default_factory=ModelSpec)
    optimizers: Annotated[list[AnyOptimizer], Field(min_length=1, max_length=MAX_CONFIGS)]
    networks: Annotated[Integer, Field(ge=1, le=MAX_LAB_NETWORKS)] = 32
    steps: Annotated[Integer, Field(ge=1, le=MAX_LAB_STEPS)] = 1000
    batch_size: LabBatch | Annotated[list[LabBatch | None], Field(min_length=1, max_length=MAX_CONFIGS)] | None = 32
    seed: Seed = 0


class TrainMessage(LabSpec):
    type: Literal["train"]


class Pick(BaseModel):
    """One network of a lab run: configuration ``config``, network ``network``."""

    model_config = STRICT

    config: Annotated[Integer, Field(ge=0, lt=MAX_CONFIGS)] = 0
    network: Annotated[Integer, Field(ge=0, lt=MAX_LAB_NETWORKS)] = 0


class FieldRequest(Pick):
    spec: LabSpec
    grid: Annotated[Integer, Field(ge=2, le=MAX_PLANE_SIDE)] = 61


class PlaneRequest(Pick):
    spec: LabSpec
    kind: PlaneKind = PlaneKind(PLANE_KIND.default)  # type: ignore[valid-type]
    grid: Annotated[Integer, Field(ge=2, le=MAX_PLANE_SIDE)] = 41
    span: bounded(SPAN) = SPAN.default  # type: ignore[valid-type]


class LineRequest(Pick):
    spec: LabSpec
    other: Pick
    n: Annotated[Integer, Field(ge=2, le=MAX_PLANE_SIDE)] = 101


class HessianRequest(Pick):
    spec: LabSpec
