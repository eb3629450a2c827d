"""``import errorscape`` is the notebook API: every name the README promises is there, and
help() on it says what each argument accepts and what comes back."""

from __future__ import annotations

import inspect
import subprocess
import sys

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
