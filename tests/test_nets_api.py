"""The network lab over HTTP and the WebSocket: what it serves, a run streamed and stopped, the
answers about one network agreeing with errorscape.nets called directly, and bad input refused
with a detail while the server keeps serving."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from errorscape import nets
from errorscape.nets.field import field
from errorscape.server import nets_lab
from errorscape.server.nets_lab import STORE, lab_args, run_key
from errorscape.server.nets_models import LabSpec
from errorscape.surfaces.limits import MAX_LAB_NETWORKS, MAX_LAB_WORK

SPEC = {
    "task": {"name": "moons", "n_train": 64, "n_test": 64},
    "model": {"hidden": [8]},
    "optimizers": [{"preset": "sgd", "lr": 0.5}, {"preset": "adam", "lr": 0.02}],
    "networks": 4,
    "steps": 120,
    "batch_size": [16, None],
}


def no_nan(text: str) -> None:
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in a response"))


def stream(ws, spec: dict) -> list[dict]:
    ws.send_text(json.dumps({"type": "train", **spec}))
    out = []
    while True:
        m = json.loads(ws.receive_text(), parse_constant=lambda c: pytest.fail(f"{c} in a message"))
        out.append(m)
        if m["type"] in ("done", "error", "cancelled"):
            return out


def test_the_catalogue_serves_the_declarations(client):
    body = client.get("/api/nets").json()
    assert [t["name"] for t in body["tasks"]] == list(nets.TASK_NAMES)
    assert body["limits"]["max_networks"] == MAX_LAB_NETWORKS
    activation = next(f for f in body["model_fields"] if f["name"] == "activation")
    assert activation["choices"] == ["relu", "tanh", "sigmoid"]
    d = body["defaults"]
    spec = {k: d[k] for k in ("task", "model", "networks", "steps", "batch_size", "seed")}
    LabSpec.model_validate({**spec, "optimizers": [{"preset": d["preset"], "lr": d["lr"]}]})
    assert d["plane"] in next(f for f in body["plane_fields"] if f["name"] == "kind")["choices"]


def test_a_streamed_run_equals_the_trainer_and_is_kept_for_later_questions(client):
    with client.websocket_connect("/ws/nets") as ws:
        messages = stream(ws, SPEC)
    start, frames, done = messages[0], messages[1:-1], messages[-1]
    assert start["type"] == "start" and done["type"] == "done"
    assert start["batch_size"] == [16, 64] and start["params"] == 2 * 8 + 8 + 8 * 2 + 2
    assert len(start["task"]["x_train"]) == 64
    steps = [s for f in frames for s in f["steps"]]
    a = lab_args(LabSpec.model_validate(SPEC))
    assert steps == list(range(0, 121, a.record_every))
    train_loss = np.array([row for f in frames for row in np.array(f["train_loss"], dtype=float).transpose(1, 0, 2)])  # [K, C, N]
    direct = nets.train(**a.train_kwargs(), checkpoints=False)
    np.testing.assert_array_equal(train_loss.transpose(1, 0, 2), direct.train_loss.astype(np.float64))
    assert frames[-1]["done"] == frames[-1]["total"] == 120
    kept = STORE.get(run_key(LabSpec.model_validate(SPEC)))
    assert kept is not None
    np.testing.assert_array_equal(kept.final, direct.final)


def test_the_answers_about_a_network_are_the_cores(client):
    pick = {"config": 1, "network": 2}
    a = lab_args(LabSpec.model_validate(SPEC))
    run = nets.train(**a.train_kwargs(), checkpoints=True)
    theta = run.final[1, 2]
    r = client.post("/api/nets/field", json={"spec": SPEC, **pick, "grid": 9})
    assert r.status_code == 200, r.text
    no_nan(r.text)
    f = field(a.task, a.model, theta, 9)
    assert r.json()["value"] == f.value.tolist()
    r = client.post("/api/nets/hessian", json={"spec": SPEC, **pick})
    assert r.status_code == 200, r.text
    no_nan(r.text)
    h = nets.hessian(a.task, a.model, theta)
    body = r.json()
    np.testing.assert_allclose(body["eigenvalues"], h.eigenvalues, rtol=1e-5, atol=1e-6)
    assert body["minimum_ratio"] == pytest.approx(float(h.minimum_ratio))
    assert len(body["lambda_max_by_config"]) == 2
    r = client.post("/api/nets/ratios", json={"spec": SPEC, **pick})
    assert r.status_code == 200, r.text
    ratios = r.json()["networks"]
    hs = nets.hessian(a.task, a.model, run.final[1])
    assert ratios["network"] == [0, 1, 2, 3]
    np.testing.assert_allclose(ratios["minimum_ratio"], hs.minimum_ratio)
    r = client.post("/api/nets/plane", json={"spec": SPEC, **pick, "kind": "pca", "grid": 7})
    assert r.status_code == 200, r.text
    no_nan(r.text)
    plane = r.json()
    assert len(plane["train"]) == 7 and plane["path"]["config"] == 1
    assert math.hypot(plane["path"]["x"][-1], plane["path"]["y"][-1]) < 1e-6  # the path ends at the centre
    assert [o["config"] for o in plane["others"]] == [0]


def test_the_line_between_two_networks_is_the_cores_interpolation(client):
    a = lab_args(LabSpec.model_validate(SPEC))
    run = nets.train(**a.train_kwargs(), checkpoints=False)
    r = client.post("/api/nets/line", json={"spec": SPEC, "config": 0, "network": 1, "other": {"config": 1, "network": 1}, "n": 11})
    assert r.status_code == 200, r.text
    no_nan(r.text)
    body = r.json()
    line = nets.interpolate(a.task, a.model, run.final[0, 1], run.final[1, 1], n=11)
    np.testing.assert_array_equal(body["alpha"], line.alpha)
    np.testing.assert_allclose(body["train"], line.train_loss, rtol=1e-6)
    assert body["distance"] == pytest.approx(float(np.linalg.norm(run.final[1, 1].astype(np.float64) - run.final[0, 1])), rel=1e-6)
    far = client.post("/api/nets/line", json={"spec": SPEC, "other": {"config": 5, "network": 0}})
    assert far.status_code == 422 and "configurations" in json.dumps(far.json()["detail"])


def test_a_run_no_longer_kept_is_trained_again_to_the_same_numbers(client, monkeypatch):
    monkeypatch.setattr(nets_lab, "STORE", nets_lab.RunStore())
    first = client.post("/api/nets/hessian", json={"spec": SPEC, "config": 0, "network": 1}).json()
    monkeypatch.setattr(nets_lab, "STORE", nets_lab.RunStore())
    again = client.post("/api/nets/hessian", json={"spec": SPEC, "config": 0, "network": 1}).json()
    assert first == again


@pytest.mark.parametrize(
    "change, status, where",
    [
        ({"networks": 0}, 422, "networks"),
        ({"networks": MAX_LAB_NETWORKS + 1}, 422, "networks"),
        ({"steps": 1.5}, 422, "steps"),
        ({"task": {"name": "imagenet"}}, 422, "name"),
        ({"task": {"name": "moons", "shift": float("nan")}}, 422, "shift"),
        ({"task": {"name": "moons", "noise": 1e309}}, 422, "noise"),
        ({"task": {"name": "moons", "noise": 4.0}}, 422, "noise"),  # the moons' own bound (2) is below the widest (5)
        ({"task": {"name": "sine"}, "model": {"hidden": [8], "loss": "ce"}}, 422, "loss"),  # the sine's own bound is lower than the widest
        ({"model": {"hidden": [0]}}, 422, "hidden"),
        ({"model": {"hidden": [16], "activation": "gelu"}}, 422, "activation"),
        ({"model": {"hidden": [16], "bogus": 1}}, 422, "bogus"),
        ({"batch_size": [16]}, 422, "batch_size"),
        ({"batch_size": 65}, 422, "batch_size"),
        ({"optimizers": [{"preset": "nope"}]}, 422, "preset"),
        ({"networks": 256, "steps": 20000, "model": {"hidden": [256, 256]}, "batch_size": 64}, 413, ""),
    ],
)
def test_bad_lab_requests_are_refused_with_a_detail(client, change, status, where):
    spec = {**SPEC, **change}
    body = json.dumps({"spec": spec, "config": 0, "network": 0}, allow_nan=True).replace("Infinity", "1e309")
    r = client.post("/api/nets/field", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert where in json.dumps(r.json()["detail"])
    with client.websocket_connect("/ws/nets") as ws:
        ws.send_text(json.dumps({"type": "train", **spec}, allow_nan=True).replace("Infinity", "1e309"))
        m = json.loads(ws.receive_text())
        assert m["type"] == "error" and where in json.dumps(m["detail"])
        assert stream(ws, {**SPEC, "steps": 3})[-1]["type"] == "done"  # the socket still serves
    assert client.get("/api/nets").status_code == 200


def test_the_work_limit_names_itself(client):
    spec = {**SPEC, "networks": 256, "steps": 20000, "model": {"hidden": [128, 128]}, "batch_size": 64}
    r = client.post("/api/nets/plane", json={"spec": spec})
    assert r.status_code == 413 and f"{MAX_LAB_WORK:.0e}" in r.json()["detail"]


@pytest.mark.parametrize(
    "message",
    ["{", "[]", '{"type": "fly"}', '{"type": "train"}', json.dumps({"type": "train", **SPEC, "seed": -1})],
)
def test_malformed_messages_get_an_error_and_the_socket_stays(client, message):
    with client.websocket_connect("/ws/nets") as ws:
        ws.send_text(message)
        assert json.loads(ws.receive_text())["type"] == "error"
        assert stream(ws, {**SPEC, "steps": 2})[-1]["type"] == "done"


def test_a_run_is_stopped_by_cancel(client):
    with client.websocket_connect("/ws/nets") as ws:
        ws.send_text(json.dumps({"type": "train", **SPEC, "steps": 20000, "networks": 2}))
        assert json.loads(ws.receive_text())["type"] == "start"
        ws.send_text(json.dumps({"type": "cancel"}))
        seen = []
        while not seen or seen[-1] not in ("cancelled", "done"):
            seen.append(json.loads(ws.receive_text())["type"])
        assert seen[-1] == "cancelled"


def test_a_diverged_network_gets_no_picture_but_a_reason(client):
    spec = {**SPEC, "optimizers": [{"preset": "sgd", "lr": 100.0}], "batch_size": 16, "model": {"hidden": [8], "init_scale": 50.0}}
    with client.websocket_connect("/ws/nets") as ws:
        done = stream(ws, spec)[-1]
    assert done["type"] == "done" and done["diverged"] > 0
    r = client.post("/api/nets/field", json={"spec": spec, "config": 0, "network": 3})  # network 3 diverges at step 14
    assert r.status_code == 422 and "diverged" in json.dumps(r.json()["detail"])
    assert client.post("/api/nets/field", json={"spec": spec, "config": 0, "network": 0}).status_code == 200


def test_digits_has_no_picture_of_its_64_inputs():
    task = nets.task("digits", n_train=50, n_test=50)
    model = nets.Model(hidden=(4,))
    with pytest.raises(ValueError, match="64 inputs"):
        field(task, model, np.zeros(model.size(task), np.float32))


def test_a_task_whose_data_are_missing_is_named_but_not_available(client, monkeypatch):
    from errorscape.nets import tasks
    from errorscape.surfaces.errors import FieldError

    def missing() -> None:
        raise FieldError(("name",), "install scikit-learn")

    monkeypatch.setattr(tasks, "_digits_file", missing)
    body = client.get("/api/nets").json()
    available = {t["name"]: t["available"] for t in body["tasks"]}
    assert available["digits"] is False and available["moons"] is True
