"""The WebSocket stream against a real uvicorn started by ``python -m server`` (an app served
without the websockets package would pass TestClient and fail every browser)."""

from __future__ import annotations

import json
import struct
import time
import urllib.request

import numpy as np
import pytest
from websockets.sync.client import connect

from errorscape.surfaces.critical import minimum_ratio
from tests.server_process import get_json, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("ws")) as base:
        yield base


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws/run"


def decode(frame: bytes, configs: int, starts: int, has_test: bool) -> dict:
    magic, run, t0, n = struct.unpack_from("<4sIII", frame)
    assert magic == b"ESF1"
    body = np.frombuffer(frame, dtype="<f4", offset=16)
    sizes = {"positions": n * configs * starts * 2, "loss": n * configs * starts, "grad_norm": n * configs * starts}
    if has_test:
        sizes["test_loss"] = n * configs * starts
    out, offset = {"run": run, "t0": t0, "n": n}, 0
    for name, size in sizes.items():
        shape = (n, configs, starts, 2) if name == "positions" else (n, configs, starts)
        out[name] = body[offset : offset + size].reshape(shape)
        offset += size
    assert offset == body.size
    return out


def receive_run(ws) -> tuple[dict, list[dict], dict]:
    start = json.loads(ws.recv(timeout=60))
    assert start["type"] == "start", start
    frames = []
    while True:
        message = ws.recv(timeout=60)
        if isinstance(message, bytes):
            frames.append(decode(message, start["configs"], start["starts"], start["has_test_set"]))
            continue
        done = json.loads(message)
        return start, frames, done


def post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


RUN = {
    "surface": "narrow_valley",
    "surface_params": {"kappa": 100.0, "noise": 0.5},
    "optimizers": [{"preset": "sgd", "lr": 0.025}, {"preset": "adam", "lr": 0.1}],
    "starts": [[-5.0, 1.5], [5.0, -1.0], [1.0, 1.0]],
    "steps": 230,
    "batch_size": 8,
    "seed": 4,
}


def test_stream_matches_the_rest_answer(server):
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(json.dumps({"type": "run", **RUN}))
        start, frames, done = receive_run(ws)
    assert (start["configs"], start["starts"], start["steps"]) == (2, 3, 230)
    assert done["type"] == "done" and done["run"] == start["run"]
    assert [(f["t0"], f["n"]) for f in frames] == [(0, 1), (1, 100), (101, 100), (201, 30)]
    positions = np.concatenate([f["positions"] for f in frames]).transpose(1, 0, 2, 3)
    rest = post(server, "/api/run", RUN)
    np.testing.assert_array_equal(positions, np.array(rest["positions"], np.float32))
    assert done["diverged_at"] == rest["diverged_at"]


def test_diverged_starts_are_nan_from_their_step_on(server):
    run = {
        "surface": "narrow_valley",
        "surface_params": {"noise": 0.0},
        "optimizers": [{"lr": 0.05}],
        "starts": [[1, 1], [1, 0]],
        "steps": 50,
    }
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(json.dumps({"type": "run", **run}))
        _, frames, done = receive_run(ws)
    loss = np.concatenate([f["loss"] for f in frames])[:, 0]
    d = done["diverged_at"][0]
    assert done["diverged"] == 1 and d[0] > 0 and d[1] == -1
    assert np.isnan(loss[d[0] :, 0]).all() and np.isfinite(loss[: d[0], 0]).all() and np.isfinite(loss[:, 1]).all()
    assert done["minimum_ratio"][0][0] is None  # no Hessian where a start diverged


def test_done_gives_the_minimum_ratio_of_every_end_point(server):
    # On himmelblau a start at the minimum (3, 2) stays there (ratio 1); a start at the local
    # maximum barely moves in 20 small steps (ratio 0); the third is wherever it got to.
    run = {"surface": "himmelblau", "optimizers": [{"lr": 0.01}], "starts": [[3.0, 2.0], [-0.270845, -0.923039], [0.5, 0.5]], "steps": 20}
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(json.dumps({"type": "run", **run}))
        _, frames, done = receive_run(ws)
    end = frames[-1]["positions"][-1, 0]
    expected = minimum_ratio("himmelblau", end)
    assert done["minimum_ratio"][0] == expected.tolist()
    assert done["minimum_ratio"][0][0] == 1.0 and done["minimum_ratio"][0][1] == 0.0  # a minimum; himmelblau's maximum


def test_a_new_run_supersedes_the_one_in_flight(server):
    # Minutes of work in all, in chunks of a second or two (every step evaluates the full-batch
    # loss of each start for its record): the run in flight stops after its chunk.
    slow = {"surface": "sharp_flat", "optimizers": [{}], "starts": {"random": 2000}, "steps": 5000, "batch_size": 1}
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(json.dumps({"type": "run", **slow}))
        first = json.loads(ws.recv(timeout=60))
        assert first["type"] == "start"
        ws.send(json.dumps({"type": "run", **RUN}))
        old_frames = 0
        while True:
            message = ws.recv(timeout=60)
            if isinstance(message, bytes):
                assert struct.unpack_from("<4sI", message)[1] == first["run"]
                old_frames += 1
                continue
            start = json.loads(message)
            break
        # Stopped within one chunk: the frame in flight at most, never the 50 chunks left.
        assert old_frames <= 2
        assert start["type"] == "start" and start["run"] == first["run"] + 1
        while True:
            message = ws.recv(timeout=60)
            if isinstance(message, str):
                done = json.loads(message)
                break
            assert struct.unpack_from("<4sI", message)[1] == start["run"]
        assert done["type"] == "done" and done["run"] == start["run"]


def test_cancel_then_run_again(server):
    # Minutes of work in all, in chunks of a second or two (every step evaluates the full-batch
    # loss of each start for its record): the run in flight stops after its chunk.
    slow = {"surface": "sharp_flat", "optimizers": [{}], "starts": {"random": 2000}, "steps": 5000, "batch_size": 1}
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(json.dumps({"type": "run", **slow}))
        assert json.loads(ws.recv(timeout=60))["type"] == "start"
        ws.send(json.dumps({"type": "cancel"}))
        while isinstance(message := ws.recv(timeout=60), bytes):
            pass
        assert json.loads(message) == {"type": "cancelled", "run": 1}
        ws.send(json.dumps({"type": "run", **RUN}))
        _, _, done = receive_run(ws)
        assert done["type"] == "done"


@pytest.mark.parametrize(
    ("message", "needle"),
    [
        ("{not json", "malformed JSON"),
        (b"\x00\x01binary", "binary"),
        ("[1, 2]", "type"),
        ('{"type": "dance"}', "type"),
        ('{"type": "run", "surface": "saddle", "optimizers": [{"lr": NaN}]}', "lr"),
        ('{"type": "run", "surface": "ZZ<b>", "optimizers": [{}]}', "surface"),
        ('{"type": "run", "surface": "saddle", "optimizers": [{}], "surface_params": {"ZZ<b>": 1}}', "surface_params"),
        ('{"type": "run", "surface": "saddle", "optimizers": [{}], "starts": {"random": 100000}}', "starts"),
        ('{"type": "run", "surface": "saddle", "optimizers": [{}], "steps": 100000}', "steps"),
        ("[" * 100000 + "]" * 100000, "malformed JSON"),
    ],
)
def test_bad_messages_get_an_error_and_the_connection_stays_usable(server, message, needle):
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(message)
        reply = json.loads(ws.recv(timeout=30))
        assert reply["type"] == "error" and needle in json.dumps(reply["detail"])
        assert "ZZ" not in json.dumps(reply) and "NaN" not in json.dumps(reply)
        ws.send(json.dumps({"type": "run", **RUN, "steps": 3}))
        _, _, done = receive_run(ws)
        assert done["type"] == "done"


def test_a_disconnect_frees_the_worker(server):
    # Minutes of work in all, in chunks of a second or two (every step evaluates the full-batch
    # loss of each start for its record): the run in flight stops after its chunk.
    slow = {"surface": "sharp_flat", "optimizers": [{}], "starts": {"random": 2000}, "steps": 5000, "batch_size": 1}
    with connect(ws_url(server), max_size=None) as ws:
        ws.send(json.dumps({"type": "run", **slow}))
        assert json.loads(ws.recv(timeout=60))["type"] == "start"
        assert get_json(server + "/api/health")["in_flight"] >= 1
    # The client has gone mid-run.
    deadline = time.monotonic() + 20
    while get_json(server + "/api/health")["in_flight"] > 0:
        assert time.monotonic() < deadline, "the run kept a worker after its client left"
        time.sleep(0.1)
    # And the server still serves.
    with connect(ws_url(server), max_size=None) as ws2:
        ws2.send(json.dumps({"type": "run", **RUN, "steps": 3}))
        assert receive_run(ws2)[2]["type"] == "done"
