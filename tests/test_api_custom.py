"""Typed formulas and optax optimizers over HTTP and the WebSocket (in process)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errorscape import surfaces
from errorscape.surfaces.custom import custom_surface
from errorscape.surfaces.optax_rules import OPTAX_NAMES

FORMULA = "x**2 + 10*y**2 + 0.3*sin(5*x)"
CUSTOM = {"formula": FORMULA, "domain": [[-2, 2], [-1, 1]]}
LION = {"optax": "lion", "hyper": {"learning_rate": 0.02}}


def test_custom_grid_is_the_formula(client):
    r = client.post("/api/custom", json={"custom": {"formula": "x^2 - y^2"}, "n": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["formula"] == "x ** 2 - y ** 2" and body["name"].startswith("custom:")
    assert body["domain"] == [[-3, 3], [-3, 3]] and [p["name"] for p in body["params"]] == ["noise"]
    xs, ys = np.meshgrid(body["x"], body["y"])
    np.testing.assert_allclose(np.array(body["z"]), xs**2 - ys**2, atol=1e-5)
    assert "noise" in body["description"]["en"]


@pytest.mark.parametrize(
    ("formula", "column", "end_column"),
    [("x^2 + ZZ*script", 7, 8), ("__import__('os')", 1, 10), ("x**y", 4, 4), ("x +", 4, 4), ("x" * 400, 301, 400)],
)
def test_a_refused_formula_is_a_422_pointing_at_the_part(client, formula, column, end_column):
    r = client.post("/api/custom", json={"custom": {"formula": formula}})
    assert r.status_code == 422
    (detail,) = r.json()["detail"]
    assert detail["loc"] == ["body", "custom", "formula"] and detail["type"] == "formula"
    assert (detail["column"], detail["end_column"]) == (column, end_column)
    assert "ZZ" not in r.text and "import" not in r.text  # the formula is pointed at, not repeated


def test_run_on_a_formula_with_lion_against_adam_equals_the_engine(client):
    body = {
        "surface": "custom",
        "custom": CUSTOM,
        "optimizers": [LION, {"preset": "adam", "lr": 0.05}],
        "starts": [[1.5, 0.8], [-1.0, -0.5]],
        "steps": 150,
    }
    r = client.post("/api/run", json=body)
    assert r.status_code == 200, r.text
    got = np.array(r.json()["positions"], np.float32)
    s = custom_surface(FORMULA, CUSTOM["domain"])
    want = surfaces.simulate(s, [LION, {"preset": "adam", "lr": 0.05}], starts=body["starts"], steps=150)
    np.testing.assert_array_equal(got, want.positions)
    assert not np.array_equal(got[0], got[1])  # two optimizers, two different paths


def test_analyze_and_basin_on_a_formula(client):
    a = client.post("/api/analyze", json={"surface": "custom", "custom": {"formula": "x^2 - y^2"}, "point": [0, 0]}).json()
    assert a["kind"] == "saddle"
    np.testing.assert_allclose(a["eigenvalues"], [-2, 2], atol=1e-5)
    b = client.post(
        "/api/basin",
        json={
            "surface": "custom",
            "custom": {"formula": "(x^2 - 1)^2 + y^2", "domain": [[-2, 2], [-1, 1]]},
            "optimizer": LION,
            "grid": 8,
            "steps": 200,
        },
    )
    assert b.status_code == 200, b.text
    assert sorted(round(m["point"][0], 2) for m in b.json()["minima"]) == [-1.0, 1.0]


def test_optimizers_listing(client):
    listed = client.get("/api/optimizers").json()
    assert set(listed["presets"]) == set(surfaces.PRESETS)
    names = [o["name"] for o in listed["optax"]]
    assert names == list(OPTAX_NAMES) and len(names) >= 13
    lion = next(o for o in listed["optax"] if o["name"] == "lion")
    assert {h["name"] for h in lion["hyper"]} == {"learning_rate", "b1", "b2", "weight_decay"}
    adafactor = next(o for o in listed["optax"] if o["name"] == "adafactor")
    assert adafactor["static"][0]["name"] == "multiply_by_parameter_scale" and "compiles" in adafactor["static"][0]["note"]


BAD = [
    ({"surface": "custom", "optimizers": [{}]}, "custom"),
    ({"surface": "saddle", "custom": {"formula": "x"}, "optimizers": [{}]}, "custom"),
    ({"surface": "custom", "custom": {"formula": 3}, "optimizers": [{}]}, "formula"),
    ({"surface": "custom", "custom": {"formula": "x", "domain": [[1, 0], [0, 1]]}, "optimizers": [{}]}, "domain"),
    ({"surface": "custom", "custom": {"formula": "x", "domain": [[0, 1e9], [0, 1]]}, "optimizers": [{}]}, "domain"),
    ({"surface": "custom", "custom": {"formula": "x", "extra": 1}, "optimizers": [{}]}, "extra"),
    ({"surface": "saddle", "optimizers": [{"optax": "ZZlion"}]}, "optax"),
    ({"surface": "saddle", "optimizers": [{"optax": "lion", "hyper": {"ZZ": 1}}]}, "hyper"),
    ({"surface": "saddle", "optimizers": [{"optax": "lion", "hyper": {"learning_rate": -1}}]}, "learning_rate"),
    ({"surface": "saddle", "optimizers": [{"optax": "lion", "hyper": {"learning_rate": "0.1"}}]}, "hyper"),
    ({"surface": "saddle", "optimizers": [{"optax": "lion", "lr": 0.1}]}, "lr"),
    ({"surface": "saddle", "optimizers": [{"optax": "noisy_sgd", "hyper": {"seed": 3.5}}]}, "seed"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_custom_and_optax_requests_are_422_naming_the_field(client, body, field):
    r = client.post("/api/run", json=body)
    assert r.status_code == 422, r.text
    assert field in json.dumps(r.json()["detail"])
    assert "ZZ" not in r.text and "NaN" not in r.text


def test_non_finite_hyperparameters_are_refused(client):
    text = '{"surface": "saddle", "optimizers": [{"optax": "lion", "hyper": {"b1": NaN}}]}'
    r = client.post("/api/run", content=text, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "NaN" not in r.text


def test_websocket_streams_a_formula_and_locates_a_bad_one(client):
    with client.websocket_connect("/ws/run") as ws:
        ws.send_text(json.dumps({"type": "run", "surface": "custom", "custom": {"formula": "x^2 + y"}, "optimizers": [{"preset": "sgd"}]}))
        error = ws.receive_json()
        assert error["type"] == "start"  # a formula unbounded below still runs: it diverges, it does not fail
        while True:
            message = ws.receive()
            if message.get("text"):
                done = json.loads(message["text"])
                break
        assert done["type"] == "done"
        ws.send_text(json.dumps({"type": "run", "surface": "custom", "custom": {"formula": "x^2 + q"}, "optimizers": [LION]}))
        error = ws.receive_json()
        assert error["type"] == "error" and error["detail"][0]["column"] == 7
        ws.send_text(json.dumps({"type": "run", "surface": "custom", "custom": CUSTOM, "optimizers": [LION, "adam"]}))
        assert ws.receive_json()["type"] == "error"  # "adam" is not an object: refused, the socket stays usable
        ws.send_text(
            json.dumps(
                {"type": "run", "surface": "custom", "custom": CUSTOM, "optimizers": [LION, {"preset": "adam"}], "starts": {"grid": 3}}
            )
        )
        start = ws.receive_json()
        assert start["type"] == "start" and start["configs"] == 2 and start["starts"] == 9


_PIECES = [
    "x",
    "y",
    "2",
    "0.5",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "**",
    "^",
    " ",
    "sin",
    "exp",
    "log",
    "minimum",
    ",",
    ".",
    "'",
    "[",
    "é",
    "\\",
    '"',
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(_PIECES), max_size=25).map("".join)))
def test_any_formula_text_is_a_surface_or_a_located_422(client, formula):
    r = client.post("/api/custom", json={"custom": {"formula": formula}, "n": 4})
    assert r.status_code in (200, 422), r.text
    assert "NaN" not in r.text and "Infinity" not in r.text
    if r.status_code == 422:
        (detail,) = r.json()["detail"]
        if detail["type"] == "formula":
            assert 1 <= detail["column"] <= detail["end_column"] <= len(formula) + 1
