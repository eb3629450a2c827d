"""With several devices the engine splits the starts across all of them (shard_map over a
Mesh); the results must equal the one-device run bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from errorscape import surfaces
from tests.server_process import ROOT

RUNS = [
    ("sharp_flat", ["sgd", "adam", "momentum"], 4),
    ("sharp_flat", ["adagrad"], None),
    ("saddle", ["adam", "rmsprop"], 8),
    ("himmelblau", ["nesterov", "adam"], None),
]

SCRIPT = """
import sys, numpy as np, jax
from errorscape import surfaces
from errorscape.surfaces import kernels
from tests.test_sharding import RUNS, run_all
assert len(jax.devices()) == 4, jax.devices()
assert kernels.shard_count(kernels.bucket(100)) == 4
np.savez(sys.argv[1], **run_all())
"""


def run_all() -> dict[str, np.ndarray]:
    out = {}
    for i, (surface, configs, batch) in enumerate(RUNS):
        r = surfaces.simulate(surface, configs, {"random": 100}, 230, batch_size=batch, seed=5)
        out[f"positions{i}"], out[f"loss{i}"], out[f"diverged{i}"] = r.positions, r.loss, r.diverged_at
        f = surfaces.simulate_final(surface, configs, {"grid": 12}, 150, batch_size=batch, seed=5)
        out[f"final{i}"] = f.positions
    return out


def test_four_devices_give_the_one_device_results(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "PYTHONPATH": str(ROOT)}
    target = tmp_path / "four.npz"
    subprocess.run([sys.executable, "-c", SCRIPT, str(target)], check=True, env=env, cwd=ROOT)
    four = np.load(target)
    one = run_all()
    assert set(four.files) == set(one)
    for key, value in one.items():
        np.testing.assert_array_equal(four[key], value, err_msg=key)


def test_the_cpu_instruction_cap_is_in_force_and_can_be_lifted():
    assert "--xla_cpu_max_isa=AVX" in os.environ.get("XLA_FLAGS", "")
    script = "import os, errorscape.surfaces; print(os.environ.get('XLA_FLAGS', ''))"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update({"ERRORSCAPE_CPU_FMA": "1", "PYTHONPATH": str(ROOT)})
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    assert "max_isa" not in out
