"""One error model: the core raises FieldError with a structured path; HTTP answers and the
WebSocket's error messages carry the same detail (loc, msg, type) for the same mistake."""

from __future__ import annotations

import json

import pytest

import errorscape
from errorscape.surfaces.errors import FieldError


@pytest.mark.parametrize(
    "kwargs, loc",
    [
        ({"optimizers": [{"preset": "sgd", "lr": -1.0}]}, ("optimizers", 0, "lr")),
        ({"optimizers": ["sgd", {"optax": "lion", "hyper": {"b1": 2.0}}]}, ("optimizers", 1, "hyper", "b1")),
        ({"optimizers": ["sgd", {"momentum": "sideways"}]}, ("optimizers", 1, "momentum")),
        ({"starts": [[1e4, 0.0]]}, ("starts",)),
        ({"starts": {"grid": 0}}, ("starts", "grid")),
        ({"surface_params": {"kappa": -5.0}}, ("surface_params", "kappa")),
        ({"steps": 0}, ("steps",)),
    ],
)
def test_the_core_names_the_field_as_a_path(kwargs, loc):
    args = {"surface": "narrow_valley", "optimizers": ["sgd"], "steps": 2, **kwargs}
    with pytest.raises(FieldError) as caught:
        errorscape.simulate(**args)
    assert caught.value.loc == loc
    # A person at a prompt reads the same path.
    assert str(caught.value).startswith(errorscape.surfaces.errors.format_loc(loc) + ": ")


def test_a_configuration_alone_names_itself_optimizer():
    with pytest.raises(FieldError) as caught:
        errorscape.preset("momentum", lam=2.0)
    assert caught.value.loc == ("optimizer", "lam") and str(caught.value).startswith("optimizer.lam: ")


# Mistakes only the core can see (the request models let them through): a start outside the
# surface's box, a custom domain of zero width, a parameter the surface does not have.
CASES = [
    ({"surface": "saddle", "optimizers": [{"preset": "sgd"}], "starts": [[0.5, 0.5], [9e5, 0.0]], "steps": 2}, ["body", "starts"]),
    (
        {
            "surface": "custom",
            "custom": {"formula": "x^2 + y^2", "domain": [[1, 1], [0, 1]]},
            "optimizers": [{"preset": "sgd"}],
            "steps": 2,
        },
        ["body", "custom", "domain"],
    ),
    ({"surface": "saddle", "surface_params": {"bogus": 1.0}, "optimizers": [{"preset": "sgd"}], "steps": 2}, ["body", "surface_params"]),
]


@pytest.mark.parametrize("body, loc", CASES)
def test_http_and_websocket_give_the_same_detail(client, body, loc):
    http = client.post("/api/run", json=body)
    assert http.status_code == 422
    detail = http.json()["detail"]
    assert detail[0]["loc"] == loc and detail[0]["type"] == "value_error" and detail[0]["msg"]
    with client.websocket_connect("/ws/run") as ws:
        ws.send_text(json.dumps({"type": "run", **body}))
        reply = json.loads(ws.receive_text())
        assert reply["type"] == "error" and reply["detail"] == detail
        # The connection stays usable after the refusal.
        ws.send_text(json.dumps({"type": "run", "surface": "saddle", "optimizers": [{"preset": "sgd"}], "steps": 2}))
        assert json.loads(ws.receive_text())["type"] == "start"


def test_pydantic_refusals_have_the_same_shape_on_both(client):
    body = {"surface": "saddle", "optimizers": [{"preset": "sgd", "lr": 0}], "steps": 2}
    detail = client.post("/api/run", json=body).json()["detail"]
    assert detail[0]["loc"][:4] == ["body", "optimizers", 0, "lecture"] and detail[0]["loc"][-1] == "lr"
    with client.websocket_connect("/ws/run") as ws:
        ws.send_text(json.dumps({"type": "run", **body}))
        reply = json.loads(ws.receive_text())
    assert reply["detail"] == detail


def test_the_done_message_counts_end_points_by_the_hessians_verdict(client):
    import numpy as np

    from errorscape.surfaces.critical import KINDS, point_kinds

    body = {"surface": "himmelblau", "optimizers": [{"preset": "sgd", "lr": 0.002}, {"preset": "adam", "lr": 0.1}], "steps": 150}
    body["starts"] = {"grid": 6}
    run = client.post("/api/run", json=body).json()
    with client.websocket_connect("/ws/run") as ws:
        ws.send_text(json.dumps({"type": "run", **body}))
        while True:
            message = ws.receive()
            if message.get("text") and json.loads(message["text"])["type"] == "done":
                done = json.loads(message["text"])
                break
    assert done["end_kinds"] == [*KINDS, "diverged"]
    for c in range(2):
        ends = np.array([[np.nan if v is None else v for v in p] for p in run["positions"][c][-1]], np.float32)
        kinds = point_kinds("himmelblau", ends)
        assert done["end_kind_counts"][c] == [int((kinds == k).sum()) for k in range(len(KINDS))] + [int((kinds < 0).sum())]
        assert sum(done["end_kind_counts"][c]) == 36
        # how many end points reached each of the four minima, within the basin radius
        centres = np.array([m["point"] for m in done["minima"]])
        d = np.linalg.norm(ends[:, None, :] - centres[None, :, :], axis=-1)
        at_minimum = ~np.isin(kinds, [KINDS.index("saddle"), KINDS.index("maximum")])
        reached = [int(((d.argmin(1) == i) & (d.min(1) <= 0.25) & at_minimum).sum()) for i in range(len(centres))]
        assert [m["counts"][c] for m in done["minima"]] == reached
    assert len(done["minima"]) == 4 and not any(m["global"] for m in done["minima"])  # all four have loss 0
    assert sum(m["counts"][1] for m in done["minima"]) > 0
