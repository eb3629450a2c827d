"""``import errorscape`` is the notebook API: every name the README promises is there, and
help() on it says what each argument accepts and what comes back."""

from __future__ import annotations

import inspect
import math
import subprocess
import sys

import jax.numpy as jnp
import optax
import pytest

import errorscape

API = [
    "simulate",
    "simulate_chunks",
    "simulate_final",
    "analyze",
    "minimum_ratio",
    "find_critical_points",
    "basin_map",
    "loss_grid",
    "custom_surface",
    "preset",
    "get_surface",
    "surface_names",
    "RunResult",
    "FinalResult",
    "Chunk",
    "Analysis",
    "BasinMap",
    "LossGrid",
    "OptimizerConfig",
    "FieldError",
    "surface_from_function",
]


@pytest.mark.parametrize("name", API)
def test_every_name_is_there_and_documented(name):
    obj = getattr(errorscape, name)
    assert name in errorscape.__all__
    doc = inspect.getdoc(obj) or ""
    # A dataclass's generated "Name(field: type, …)" is not documentation.
    assert doc and not doc.startswith(f"{name}("), name


@pytest.mark.parametrize("fn", ["simulate", "simulate_chunks", "simulate_final", "basin_map", "loss_grid", "analyze"])
def test_help_names_every_argument(fn):
    f = getattr(errorscape, fn)
    doc = inspect.getdoc(f) or ""
    for arg in inspect.signature(f).parameters:
        if arg in ("copy",) and fn != "simulate_chunks":
            continue
        assert arg in doc, (fn, arg)


def test_presets_optax_and_version():
    assert set(errorscape.PRESETS) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}
    assert "lion" in errorscape.OPTAX_OPTIMIZERS and "adamw" in errorscape.OPTAX_OPTIMIZERS
    run = errorscape.simulate("saddle", [{"optax": "lion"}, "adam"], steps=3)
    assert run.loss.shape == (2, 4, len(errorscape.get_surface("saddle").default_starts))
    out = subprocess.run([sys.executable, "-m", "errorscape", "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"errorscape {errorscape.__version__}"


def test_only_the_package_is_imported_never_bare_names():
    script = "import errorscape.server.app, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in ('surfaces', 'server')))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "call, loc, words",
    [
        (lambda: errorscape.preset("lion"), ("optimizer",), "optax's optimizers, use {'optax': 'lion'"),
        (lambda: errorscape.preset("momentum", momentum=0.9), ("optimizer", "momentum"), "lam"),
        (lambda: errorscape.simulate("saddle", optax.adam(0.1)), ("optimizers", 0), "'optax': 'adam'"),
        (lambda: errorscape.simulate("saddle", ["sgd", "adamw"]), ("optimizers", 1), "'optax': 'adamw'"),
        (lambda: errorscape.preset("sgd", bogus=1), ("optimizer", "bogus"), "lr, momentum, lam"),
    ],
)
def test_habits_from_other_libraries_get_a_pointer(call, loc, words):
    with pytest.raises(errorscape.FieldError) as caught:
        call()
    assert caught.value.loc == loc and words in str(caught.value)


def test_a_surface_from_a_python_function_runs_and_plots():
    bowl = errorscape.surface_from_function(lambda x, y: x**2 + 10 * y**2, domain=[[-2, 2], [-1, 1]])
    run = errorscape.simulate(bowl, errorscape.preset("adam", lr=0.05), starts=[[1.5, 0.5]], steps=300, surface_params={})
    assert run.loss[0, 0, 0] == pytest.approx(1.5**2 + 10 * 0.25, rel=1e-6) and run.loss[0, -1, 0] < 1e-2
    assert errorscape.analyze(bowl, [0.0, 0.0]).kind == "minimum"
    grid = errorscape.loss_grid(bowl, 5)
    assert grid.z[2, 2] == pytest.approx(0.0) and grid.x[0] == -2 and grid.y[-1] == 1


def test_two_surfaces_of_the_same_name_never_share_a_program():
    a = errorscape.surface_from_function(lambda x, y: x**2 + y**2, name="mine")
    b = errorscape.surface_from_function(lambda x, y: 3 * (x**2 + y**2), name="mine")
    start = [[1.0, 1.0]]
    assert errorscape.simulate(a, "sgd", starts=start, steps=1).loss[0, 0, 0] == pytest.approx(2.0)
    assert errorscape.simulate(b, "sgd", starts=start, steps=1).loss[0, 0, 0] == pytest.approx(6.0)
    assert errorscape.loss_grid(a, 3).z[0, 0] == pytest.approx(18.0) and errorscape.loss_grid(b, 3).z[0, 0] == pytest.approx(54.0)


@pytest.mark.parametrize(
    "f, words",
    [
        (lambda x, y: x if x > 0 else y, "jnp.where"),  # Python control flow on a traced value
        (lambda x, y: math.sin(x) + y, "cannot trace"),
        (lambda x, y: jnp.stack([x, y]), "one number"),
    ],
)
def test_a_function_jax_cannot_use_is_refused_at_once(f, words):
    with pytest.raises(errorscape.FieldError) as caught:
        errorscape.surface_from_function(f)
    assert caught.value.loc == ("f",) and words in str(caught.value)
