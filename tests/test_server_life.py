"""Start-up: the compile warm-up, the persistent compilation cache, the bounded kernel cache,
and the command line."""

from __future__ import annotations

import json
import logging
import urllib.request

import pytest

from errorscape import surfaces
from errorscape.server.cli import main
from errorscape.server.warmup import WarmUp
from errorscape.surfaces import kernels
from tests.server_process import get_json, running_server


def post(base: str, path: str, body: dict) -> int:
    request = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def test_second_start_reuses_the_persistent_compile_cache(tmp_path):
    body = {"surface": "bumpy", "optimizers": [{"preset": "adam"}], "starts": {"random": 20}, "steps": 10}
    with running_server(tmp_path) as base:
        assert post(base, "/api/run", body) == 200
        assert get_json(base + "/api/health")["compilations"] > 0
    with running_server(tmp_path) as base:
        assert post(base, "/api/run", body) == 200
        assert get_json(base + "/api/health")["compilations"] == 0


def test_warm_up_compiles_the_first_visit_and_logs_progress(caplog):
    # A server process starts with no kernels; tests run before this one in the same process
    # may have left enough in the bounded cache that the warm-up's own would overflow it (the
    # cache then drops everything, and the first visit's programs compile again).
    kernels.clear_compiled()
    warm = WarmUp()
    with caplog.at_level(logging.INFO, logger="errorscape"):
        warm.start()
        warm.join(timeout=600)
    assert warm.done == warm.total and warm.failed == 0 and not warm.running
    # One line per step, numbered, and one when the first visit's programs are ready.
    assert sum(f"warm-up {i}/{warm.total}:" in r.message for r in caplog.records for i in range(1, warm.total + 1)) == warm.total
    assert sum("first visit's programs are ready" in r.message for r in caplog.records) == 1
    before = surfaces.compilation_count()
    surfaces.simulate("himmelblau", ["adam", "sgd", "momentum"], steps=250)
    surfaces.simulate("saddle", ["adam"], starts={"random": 700}, steps=30)
    assert surfaces.compilation_count() == before


def test_kernel_cache_stays_bounded_under_any_mix_of_shapes(monkeypatch):
    monkeypatch.setattr(kernels, "KERNEL_CACHE_SIZE", 4)
    kernels.clear_compiled()
    for n_starts in (3, 20, 40, 100, 300):
        for configs in (["sgd"], ["sgd", "adam", "momentum"]):
            for batch in (None, 2, 16):
                surfaces.simulate("saddle", configs, starts={"random": n_starts}, steps=2, batch_size=batch)
                assert kernels.compiled_kernel_count() <= 4
    r = surfaces.simulate("saddle", ["adam"], starts={"random": 3}, steps=5)
    assert r.positions.shape == (1, 6, 3, 2)


def test_command_line_rejects_bad_ports(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--port", "0"])
    assert "--port" in capsys.readouterr().err


def test_demo_prints_a_table(capsys):
    assert main(["demo", "--steps", "20"]) == 0
    out = capsys.readouterr().out
    assert "optimizer" in out and "adam" in out
