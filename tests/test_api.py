"""Every HTTP route and its error paths, in process."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from errorscape import surfaces
from errorscape.server.app import create_app
from errorscape.server.compute import Busy, ComputeGate
from errorscape.server.settings import Settings
from errorscape.surfaces.critical import analyze

MARKER = "ZZ<script>alert(1)</script>ZZ"


def test_health(client):
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["backend"] == "cpu" and h["devices"]
    assert isinstance(h["compilations"], int) and h["version"] == "0.1.0"


def test_security_headers_on_every_response(client):
    for r in (client.get("/api/health"), client.get("/nope"), client.post("/api/run", content="{")):
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp and "http" not in csp
        assert "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"


def test_the_browser_code_never_turns_text_into_code():
    # The CSP refuses eval at run time; this holds the source to it too, and to never parsing
    # HTML from strings: no eval, no Function, no innerHTML, no inline handlers.
    static = Path(__file__).resolve().parent.parent / "static"
    forbidden = re.compile(r"\beval\s*\(|\bFunction\s*\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\bon[a-z]+\s*=\s*[\"']")
    files = [*sorted((static / "js").glob("*.js")), static / "index.html"]
    assert len(files) >= 8
    offenders = [f"{f.name}: {m.group(0)}" for f in files for m in forbidden.finditer(f.read_text())]
    assert offenders == []


def test_surfaces_catalogue(client):
    listed = {s["name"]: s for s in client.get("/api/surfaces").json()}
    assert set(listed) == set(surfaces.surface_names())
    valley = listed["narrow_valley"]
    assert {p["name"] for p in valley["params"]} == {"kappa", "noise"}
    kappa = next(p for p in valley["params"] if p["name"] == "kappa")
    declared = next(p for p in surfaces.get_surface("narrow_valley").params if p.name == "kappa")
    assert (kappa["min"], kappa["max"], kappa["default"]) == (declared.minimum, declared.maximum, declared.default)
    assert set(valley["title"]) == {"en", "zh-TW", "zh-CN"} and set(valley["description"]) == {"en", "zh-TW", "zh-CN"}
    assert listed["sharp_flat"]["has_test_set"] and not valley["has_test_set"]
    assert {"point": [0.0, 0.0], "kind": "saddle"} in listed["two_weight_net"]["critical_points"]


def test_grid_values_are_the_loss_at_x_j_y_i(client):
    g = client.get("/api/surfaces/narrow_valley/grid", params={"n": 7, "kappa": 300, "noise": 0}).json()
    assert len(g["x"]) == len(g["y"]) == 7 and len(g["z"]) == 7 and len(g["z"][0]) == 7
    i, j = 2, 5
    expected = 0.5 * (g["x"][j] ** 2 + 300 * g["y"][i] ** 2)
    assert g["z"][i][j] == pytest.approx(expected, rel=1e-5)
    train = client.get("/api/surfaces/sharp_flat/grid", params={"n": 9}).json()
    test = client.get("/api/surfaces/sharp_flat/grid", params={"n": 9, "split": "test", "shift": 0.5}).json()
    assert train["z"] != test["z"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/surfaces/nope/grid", {}, 422),
        ("/api/surfaces/narrow_valley/grid", {"n": 1}, 422),
        ("/api/surfaces/narrow_valley/grid", {"n": 100000}, 422),
        ("/api/surfaces/narrow_valley/grid", {"n": "x"}, 422),
        ("/api/surfaces/narrow_valley/grid", {"kappa": "nan"}, 422),
        ("/api/surfaces/narrow_valley/grid", {"kappa": "1e999"}, 422),
        ("/api/surfaces/narrow_valley/grid", {"kappa": "5000"}, 422),
        ("/api/surfaces/narrow_valley/grid", {"kappa": MARKER}, 422),
        ("/api/surfaces/narrow_valley/grid", {MARKER: "1"}, 422),
        ("/api/surfaces/narrow_valley/grid", {"split": "test"}, 422),
        ("/api/surfaces/narrow_valley/grid", {"split": "validation"}, 422),
    ],
)
def test_grid_errors(client, path, params, status):
    r = client.get(path, params=params)
    assert r.status_code == status
    assert r.json()["detail"] and MARKER not in r.text and "nan" not in r.text.lower().replace("finite", "")


def test_run_equals_the_engine(client):
    body = {
        "surface": "saddle",
        "surface_params": {"noise": 0.5},
        "optimizers": [{"preset": "sgd", "lr": 0.05}, {"preset": "adam", "lr": 0.1}, {"momentum": "nesterov", "sigma": "rmsprop"}],
        "starts": [[1.0, 0.5], [-2.0, 0.1]],
        "steps": 40,
        "batch_size": 4,
        "seed": 3,
    }
    r = client.post("/api/run", json=body)
    assert r.status_code == 200
    got = r.json()
    want = surfaces.simulate(
        "saddle",
        [{"preset": "sgd", "lr": 0.05}, {"preset": "adam", "lr": 0.1}, {"preset": "sgd", "momentum": "nesterov", "sigma": "rmsprop"}],
        body["starts"],
        40,
        batch_size=4,
        seed=3,
        surface_params={"noise": 0.5},
    )
    np.testing.assert_array_equal(np.array(got["positions"], np.float32), want.positions)
    np.testing.assert_array_equal(np.array(got["loss"], np.float32), want.loss)
    assert got["test_loss"] is None and got["diverged_at"] == want.diverged_at.tolist()


def test_run_marks_divergence_with_null(client):
    body = {"surface": "narrow_valley", "surface_params": {"noise": 0}, "optimizers": [{"lr": 0.05}], "starts": [[1.0, 1.0]], "steps": 40}
    r = client.post("/api/run", json=body)
    assert r.status_code == 200 and "NaN" not in r.text and "Infinity" not in r.text
    got = r.json()
    d = got["diverged_at"][0][0]
    assert d > 0 and got["positions"][0][d][0] == [None, None] and got["loss"][0][-1][0] is None
    assert got["loss"][0][d - 1][0] is not None


def test_run_test_loss_for_a_surface_with_a_test_set(client):
    r = client.post("/api/run", json={"surface": "sharp_flat", "optimizers": [{}], "steps": 5, "starts": {"random": 3}})
    assert len(r.json()["test_loss"][0]) == 6


def test_large_runs_are_sent_to_the_websocket(client):
    r = client.post("/api/run", json={"surface": "saddle", "optimizers": [{}], "starts": {"random": 1000}, "steps": 1000})
    assert r.status_code == 413 and "/ws/run" in r.json()["detail"]


def test_analyze(client):
    r = client.post("/api/analyze", json={"surface": "two_weight_net", "point": [0, 0]}).json()
    assert r["kind"] == "saddle" and r["eigenvalues"] == [-2.0, 2.0]
    assert r["hessian"] == [[0.0, -2.0], [-2.0, 0.0]]
    assert r["escape_direction"] == pytest.approx([2**-0.5, 2**-0.5])
    r = client.post("/api/analyze", json={"surface": "narrow_valley", "point": [0, 0], "surface_params": {"kappa": 50}}).json()
    assert r["kind"] == "minimum" and r["escape_direction"] is None and r["eigenvalues"] == [1.0, 50.0]


def test_basin(client):
    r = client.post("/api/basin", json={"surface": "himmelblau", "optimizer": {"preset": "adam", "lr": 0.05}, "grid": 24, "steps": 300})
    m = r.json()
    assert r.status_code == 200 and len(m["basin"]) == 24 * 24 and len(m["minima"]) == 4
    assert set(m["basin"]) >= {0, 1, 2, 3}
    big = client.post("/api/basin", json={"surface": "himmelblau", "optimizer": {}, "grid": 2048, "steps": 1000})
    assert big.status_code == 413


BAD_BODIES = [
    ("/api/run", "{", "body"),
    ("/api/run", "[]", "body"),
    ("/api/run", "null", "body"),
    ("/api/run", json.dumps({"surface": MARKER, "optimizers": [{}]}), "surface"),
    ("/api/run", json.dumps({"surface": "saddle"}), "optimizers"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": []}), "optimizers"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}] * 9}), "optimizers"),
    ("/api/run", '{"surface": "saddle", "optimizers": [{"lr": NaN}]}', "lr"),
    ("/api/run", '{"surface": "saddle", "optimizers": [{"lr": Infinity}]}', "lr"),
    ("/api/run", '{"surface": "saddle", "optimizers": [{"lr": 1e309}]}', "lr"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{"lr": True}]}), "lr"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{"lr": "0.1"}]}), "lr"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{"lr": -1}]}), "lr"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{"preset": MARKER}]}), "preset"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{MARKER: 1}]}), "optimizers"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{"sigma": "adadelta"}]}), "sigma"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "surface_params": {MARKER: 1}}), "surface_params"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "surface_params": {"noise": 99}}), "noise"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "surface_params": {"noise": MARKER}}), "noise"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "starts": [[0, 1, 2]]}), "starts"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "starts": [[0, 1e300]]}), "starts"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "starts": {"grid": 0}}), "starts"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "starts": {"spiral": 3}}), "starts"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "steps": 0}), "steps"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "steps": 1.5}), "steps"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "steps": True}), "steps"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "batch_size": 65}), "batch_size"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "seed": -1}), "seed"),
    ("/api/run", json.dumps({"surface": "saddle", "optimizers": [{}], "extra": 1}), "extra"),
    ("/api/analyze", json.dumps({"surface": "saddle", "point": [0]}), "point"),
    ("/api/analyze", '{"surface": "saddle", "point": [0, NaN]}', "point"),
    ("/api/analyze", json.dumps({"surface": "saddle", "point": [0, 1e7]}), "point"),
    ("/api/basin", json.dumps({"surface": "saddle", "optimizer": {}, "grid": 1}), "grid"),
    ("/api/basin", json.dumps({"surface": "saddle", "optimizer": {}, "batch_size": 0}), "batch_size"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_BODIES)
def test_bad_input_is_a_4xx_naming_the_field_and_never_echoed(client, path, body, field):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    detail = r.json()["detail"]
    assert detail
    assert field in json.dumps(detail)
    assert MARKER not in r.text and "ZZ" not in r.text
    assert "NaN" not in r.text and "Infinity" not in r.text


def test_oversize_bodies_are_413_with_or_without_a_length(client):
    big = b'{"surface": "saddle", "optimizers": [{}], "starts": [' + b"[0, 0]," * 400_000 + b"[0, 0]]}"
    assert client.post("/api/run", content=big, headers={"content-type": "application/json"}).status_code == 413

    def chunks():
        for _ in range(300):
            yield b" " * 10_000

    r = client.post("/api/run", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/api/health").status_code == 200


def test_compute_gate_refuses_beyond_its_queue():
    import asyncio

    async def scenario():
        gate = ComputeGate(concurrency=1, queue=1)
        release = threading.Event()
        first = asyncio.create_task(gate.run(release.wait))
        second = asyncio.create_task(gate.run(lambda: True))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):
            await gate.run(lambda: True)
        release.set()
        assert await first and await second
        assert gate.in_flight == 0
        gate.shutdown()

    asyncio.run(scenario())


def test_busy_server_answers_503_with_retry_after():
    app = create_app(Settings(warmup=False, compile_cache_dir=None, concurrency=1, queue=0, allowed_hosts=["testserver"]))
    with TestClient(app) as c:
        release = threading.Event()
        gate = app.state.gate
        holder = threading.Thread(target=lambda: c.portal.call(gate.run, release.wait))
        holder.start()
        deadline = time.monotonic() + 5
        while gate.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        r = c.post("/api/analyze", json={"surface": "saddle", "point": [0, 0]})
        release.set()
        holder.join()
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert c.post("/api/analyze", json={"surface": "saddle", "point": [0, 0]}).status_code == 200


def test_analysis_route_matches_the_core(client):
    a = analyze("himmelblau", [3.0, 2.0])
    r = client.post("/api/analyze", json={"surface": "himmelblau", "point": [3, 2]}).json()
    np.testing.assert_allclose(r["eigenvalues"], a.eigenvalues, rtol=1e-6)


def test_a_run_takes_a_batch_size_per_configuration(client):
    sgd = {"preset": "sgd"}
    body = {"surface": "sharp_flat", "optimizers": [sgd, sgd], "starts": [[0.5, 0.5]], "steps": 20, "batch_size": [None, 1]}
    both = client.post("/api/run", json=body)
    assert both.status_code == 200
    alone = client.post("/api/run", json={**body, "optimizers": [sgd], "batch_size": 1}).json()
    assert both.json()["positions"][1] == alone["positions"][0]
    for bad in ([1], [1, 0], [1, 2, 3], "two", [1, 1e9]):
        r = client.post("/api/run", json={**body, "batch_size": bad})
        assert r.status_code == 422 and "batch_size" in str(r.json()["detail"]), (bad, r.text)
