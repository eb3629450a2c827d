"""End points with the gradient carried from step to step (large runs) or recomputed in every
kernel (small ones): the same bits, and each size gets the form it is meant to."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from bench.kernels import lowered_program
from errorscape import surfaces
from errorscape.surfaces import kernels
from errorscape.surfaces.kernels import CHUNK_STEPS, FINAL_CHUNK_STEPS, bucket
from errorscape.surfaces.optimizer import PRESETS
from errorscape.surfaces.registry import surface_names

FORCE = {"recomputed": 1 << 62, "carried": 0}


def run_in(form: str, monkeypatch, fn, *args, **kwargs):
    monkeypatch.setattr(kernels, "GRADIENT_CARRIED_FROM", FORCE[form])
    kernels.clear_compiled()
    try:
        return fn(*args, **kwargs)
    finally:
        kernels.clear_compiled()


def bits(result) -> list[bytes]:
    return [np.ascontiguousarray(getattr(result, f)).tobytes() for f in ("positions", "loss", "grad_norm", "diverged_at")]


@pytest.mark.parametrize("surface", surface_names())
def test_both_forms_end_every_preset_in_the_same_bits(surface, monkeypatch):
    # Every preset in one run (the general program), minibatch and full batch raced, past one
    # end-points chunk; the narrow valley with a step past its stability limit diverges.
    params = {"kappa": 100.0, "noise": 0.5} if surface == "narrow_valley" else None
    last = surfaces.preset("momentum", lr=0.0302, lam=0.5) if surface == "narrow_valley" else {"optax": "lion"}
    cfgs = [*PRESETS, last]
    batches = [1 if i % 2 else None for i in range(len(cfgs) - 1)] + [None]  # 1: every data set allows it
    kwargs = {"starts": {"random": 40}, "steps": FINAL_CHUNK_STEPS + 23, "batch_size": batches, "seed": 4, "surface_params": params}
    a = run_in("recomputed", monkeypatch, surfaces.simulate_final, surface, cfgs, specialise=False, **kwargs)
    b = run_in("carried", monkeypatch, surfaces.simulate_final, surface, cfgs, specialise=False, **kwargs)
    assert bits(a) == bits(b)
    assert np.isfinite(a.positions).any()
    if surface == "narrow_valley":
        assert (a.diverged_at[-1] > 0).any(), "the unstable configuration diverges"


@pytest.mark.parametrize("preset", ["adam", "sgd", "momentum"])
def test_both_specialised_forms_give_the_same_bits(preset, monkeypatch):
    kwargs = {"starts": {"grid": 9}, "steps": 2 * CHUNK_STEPS + 5}
    a = run_in("recomputed", monkeypatch, surfaces.simulate_final, "himmelblau", preset, **kwargs)
    b = run_in("carried", monkeypatch, surfaces.simulate_final, "himmelblau", preset, **kwargs)
    assert bits(a) == bits(b)


def carried_state(starts: int) -> int:
    """How many arrays of one configuration × the padded starts the end-points loop carries."""
    kernels.clear_compiled()
    lowered, _ = lowered_program("adam", starts, True, "final")
    return lowered.as_text().split("stablehlo.while", 1)[1].split("\n", 1)[0].count(f"tensor<1x{bucket(starts)}xf32>")


def test_the_engine_carries_the_gradient_from_its_threshold_on():
    small, large = kernels.GRADIENT_CARRIED_FROM // 2, kernels.GRADIENT_CARRIED_FROM
    # Adam's end points: θ, trace and ν pairs (6); with the gradient pair, 8.
    assert carried_state(small) == 6
    assert carried_state(large) == 8
    kernels.clear_compiled()


def test_the_bench_restores_the_engines_threshold(capsys):
    from bench import final_forms

    before = kernels.GRADIENT_CARRIED_FROM
    assert final_forms.main(["--quick"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[:1] and line.split()[0].count(":") >= 2]
    assert len(rows) == 2
    for row in rows:
        assert int(row[1]) > 0 and int(row[2]) > 0, row
        assert all(float(v) > 0 for v in row[3:9]), row
        assert row[9] == "yes", row
    assert kernels.GRADIENT_CARRIED_FROM == before
    jax.clear_caches()
