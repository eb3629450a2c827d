"""The tasks a network learns: small data sets, generated and seeded, with a test set that can be
made to differ from the training set (the lecture's mismatch) and training labels that can be
made wrong (overfitting's favourite food).

Every task is drawn from one generator: training and test points are independent draws of it.
``shift`` then translates the test inputs along the first input axis by that amount, their
targets unchanged (a class keeps its points; for ``sine`` the test curve is y = f(x − shift)).
``label_noise`` corrupts the training targets only: a classification label is replaced by a
uniformly drawn *other* class with that probability; a regression target gets Gaussian noise
of that standard deviation.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.fields import NumberField
from errorscape.surfaces.limits import MAX_NET_POINTS, MAX_SEED
from errorscape.surfaces.problem import check_int


@dataclass(frozen=True)
class Task:
    """A data set: ``x_*`` [n, d] float32; ``y_*`` int32 labels [n] (``kind == "classify"``, labels
    0 … classes − 1) or float32 targets [n] (``kind == "regress"``, ``classes == 0``)."""

    name: str
    kind: str
    classes: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def input_dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def output_dim(self) -> int:
        """Outputs of a network for this task: one logit per class, or one value."""
        return self.classes if self.kind == "classify" else 1


# A generator draws n points: (x [n, d], y [n]) from a seeded NumPy generator and the noise level.
Generator = Callable[[np.random.Generator, int, float], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    classes: int
    noise: NumberField  # what noise means for this task, its bounds and default
    generate: Generator
    description: str
    size: int | None = None  # a fixed data set's size (digits); None: drawn, any size


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    t = rng.uniform(0.0, math.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], 1)
    x = np.where(y[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
    return x + noise * rng.standard_normal((n, 2)), y


def _circles(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    t = rng.uniform(0.0, 2 * math.pi, n)
    r = np.where(y == 0, 1.0, 0.5)
    x = r[:, None] * np.stack([np.cos(t), np.sin(t)], 1)
    return x + noise * rng.standard_normal((n, 2)), y


def _spirals(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, n)
    t = np.sqrt(rng.uniform(0.0, 1.0, n))  # uniform along the arm's area, not its angle
    angle = 3 * math.pi * t + math.pi * y
    x = t[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    return x + noise * rng.standard_normal((n, 2)), y


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), y


def _blobs(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 3, n)
    angles = math.pi / 2 + 2 * math.pi / 3 * np.arange(3)
    centres = np.stack([np.cos(angles), np.sin(angles)], 1)
    return centres[y] + noise * rng.standard_normal((n, 2)), y


def sinc(x: np.ndarray) -> np.ndarray:
    """y = sin(5πx) / (5πx), 1 at x = 0: the function the homework fits."""
    return np.sinc(5.0 * x)  # NumPy's sinc is sin(πu)/(πu)


def _sine(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, (n, 1))
    return x, sinc(x[:, 0]) + noise * rng.standard_normal(n)


def _digits_file() -> Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FieldError(
            ("name",), "the digits task reads scikit-learn's bundled 8×8 digits: install scikit-learn (pip install 'errorscape[digits]')"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"


_DIGITS: tuple[np.ndarray, np.ndarray] | None = None


def task_available(name: str) -> bool:
    """Whether a task's data are on this machine: digits needs scikit-learn's bundled file."""
    if name != "digits":
        return name in TASKS
    try:
        return _digits_file().is_file()
    except FieldError:
        return False


def _digits_data() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's copy of the UCI 8×8 digits (1,797 images), read from the installed file
    (never downloaded, and without importing scikit-learn)."""
    global _DIGITS
    if _DIGITS is None:
        with gzip.open(_digits_file(), "rt") as f:
            rows = np.array([[float(v) for v in row] for row in csv.reader(f)])
        _DIGITS = rows[:, :-1] / 16.0, rows[:, -1].astype(np.int64)
    return _DIGITS


def _digits(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    x, y = _digits_data()
    pick = rng.permutation(len(y))[:n]
    xs = (x[pick] - 0.3) / 0.4  # about zero mean and unit spread per pixel on average
    return xs + noise * rng.standard_normal(xs.shape), y[pick]


def _noise(default: float, high: float, description: str) -> NumberField:
    return NumberField("noise", 0.0, high, default, description=description)


TASKS: dict[str, TaskSpec] = {
    "moons": TaskSpec("classify", 2, _noise(0.2, 2.0, "input noise (std)"), _moons, "two interleaved half circles"),
    "circles": TaskSpec("classify", 2, _noise(0.1, 2.0, "input noise (std)"), _circles, "a ring around a disc"),
    "spirals": TaskSpec("classify", 2, _noise(0.05, 2.0, "input noise (std)"), _spirals, "two interleaved spiral arms"),
    "xor": TaskSpec("classify", 2, _noise(0.05, 2.0, "input noise (std)"), _xor, "opposite quadrants share a class"),
    "blobs": TaskSpec("classify", 3, _noise(0.5, 5.0, "spread of each blob (std)"), _blobs, "three Gaussian blobs"),
    "sine": TaskSpec("regress", 0, _noise(0.0, 2.0, "target noise (std)"), _sine, "y = sin(5πx)/(5πx) on [−1, 1]"),
    "digits": TaskSpec("classify", 10, _noise(0.0, 5.0, "pixel noise (std)"), _digits, "scikit-learn's 8×8 handwritten digits", size=1797),
}
TASK_NAMES = tuple(TASKS)

SHIFT = NumberField("shift", -10.0, 10.0, 0.0, description="test inputs translated along the first axis")
FEATURE_SCALE = NumberField(
    "feature_scale", 0.0, 1e4, 1.0, low_ok=False, log=True, description="the last input feature × this (features of different ranges)"
)
LABEL_NOISE = NumberField("label_noise", 0.0, 1.0, 0.0, description="share of training labels made wrong (regression: target noise std)")


def task(
    name: str,
    n_train: int = 512,
    n_test: int = 512,
    noise: float | None = None,
    shift: float = 0.0,
    label_noise: float = 0.0,
    seed: int = 0,
    feature_scale: float = 1.0,
) -> Task:
    """A seeded data set: ``moons``, ``circles``, ``spirals``, ``xor``, ``blobs`` (2-D
    classification), ``sine`` (1-D regression of sin(5πx)/(5πx)) or ``digits`` (8×8 images, ten
    classes).  ``noise`` None takes the task's default (``TASKS[name].noise``).
    ``feature_scale`` multiplies the last input feature, train and test alike: the lecture's
    inputs of very different ranges, which make the error surface elongated.  A bad argument
    raises :class:`FieldError` naming it."""
    if not isinstance(name, str) or name not in TASKS:
        raise FieldError(("name",), f"unknown task {name!r}; tasks: {', '.join(TASK_NAMES)}")
    spec = TASKS[name]
    n_train = check_int("n_train", n_train, 1, MAX_NET_POINTS)
    n_test = check_int("n_test", n_test, 1, MAX_NET_POINTS)
    seed = check_int("seed", seed, 0, MAX_SEED)
    noise_v = spec.noise.check(spec.noise.default if noise is None else noise, ("noise",))
    shift_v = SHIFT.check(shift, ("shift",))
    flip = LABEL_NOISE.check(label_noise, ("label_noise",))
    scale = FEATURE_SCALE.check(feature_scale, ("feature_scale",))
    if spec.size is not None and n_train + n_test > spec.size:
        raise FieldError(("n_train",), f"{name} has {spec.size} examples: n_train + n_test must be at most that")
    rng = np.random.default_rng([seed, TASK_NAMES.index(name)])
    x, y = spec.generate(rng, n_train + n_test, noise_v)
    x_train, y_train, x_test, y_test = x[:n_train].copy(), y[:n_train], x[n_train:].copy(), y[n_train:]
    x_test[:, 0] += shift_v
    x_train[:, -1] *= scale
    x_test[:, -1] *= scale
    y_train = _corrupt(rng, spec, y_train, flip)
    target: Any = np.int32 if spec.kind == "classify" else np.float32
    return Task(
        name,
        spec.kind,
        spec.classes,
        x_train.astype(np.float32),
        y_train.astype(target),
        x_test.astype(np.float32),
        y_test.astype(target),
    )


def _corrupt(rng: np.random.Generator, spec: TaskSpec, y: np.ndarray, amount: float) -> np.ndarray:
    if amount == 0.0:
        return y
    if spec.kind == "regress":
        return y + amount * rng.standard_normal(y.shape)
    flip = rng.uniform(size=y.shape) < amount
    other = (y + rng.integers(1, spec.classes, y.shape)) % spec.classes  # never the true class
    return np.where(flip, other, y)
