"""The server against what a hostile or careless client does: pages of other origins, forged
Host headers, too many connections, a client that never reads, a run superseded mid-chunk,
big answers, and the odd inputs that used to slip through."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

import errorscape
from bench.abuse import masked_text, raw_client
from errorscape.server import serialize
from errorscape.server.access import host_allowed, origin_allowed
from errorscape.server.settings import Settings
from errorscape.surfaces.formula import FormulaError, parse
from tests.server_process import get_json, running_server

RUN = {"type": "run", "surface": "saddle", "optimizers": [{"preset": "sgd"}], "steps": 3}


# --- who may talk to the server -----------------------------------------------------------------


@pytest.mark.parametrize(
    "host, bind, allowed",
    [
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("localhost:8000", "127.0.0.1", True),
        ("[::1]:8000", "127.0.0.1", True),
        ("evil.example", "127.0.0.1", False),  # a rebinding name pointed at 127.0.0.1
        ("evil.example:8000", "0.0.0.0", False),
        ("192.168.1.20:8000", "0.0.0.0", True),  # an address typed as such cannot be rebound
        ("192.168.1.20:8000", "127.0.0.1", False),
        ("10.0.0.5", "10.0.0.5", True),
        ("", "127.0.0.1", False),
    ],
)
def test_host_names_answered(host, bind, allowed):
    assert host_allowed(host, Settings(bind_host=bind)) is allowed
    assert host_allowed("lab.example.org", Settings(bind_host=bind, allowed_hosts=["lab.example.org"]))


def test_a_forged_host_gets_nothing(client):
    refused = client.get("/api/health", headers={"host": "evil.example"})
    assert refused.status_code == 400 and "host" in refused.json()["detail"]
    assert client.get("/", headers={"host": "evil.example:8000"}).status_code == 400
    assert client.get("/api/health", headers={"host": "127.0.0.1:8000"}).status_code == 200
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/run", headers={"host": "evil.example"}) as ws:
        ws.receive_text()


@pytest.mark.parametrize(
    "origin, allowed",
    [
        (None, True),
        ("http://testserver", True),
        ("http://evil.example", False),
        ("null", False),
        ("file://", False),
        ("http://testserver.evil.example", False),
    ],
)
def test_only_the_pages_own_origin_may_open_the_stream(client, origin, allowed):
    headers = {} if origin is None else {"origin": origin}
    if allowed:
        with client.websocket_connect("/ws/run", headers=headers) as ws:
            ws.send_text(json.dumps(RUN))
            assert json.loads(ws.receive_text())["type"] == "start"
    else:
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws/run", headers=headers) as ws:
            ws.receive_text()
        assert closed.value.code == 1008
    assert origin_allowed("http://lab.example:8000", "127.0.0.1:8000", Settings(allowed_origins=["http://lab.example:8000"]))


def test_health_tells_no_process_id(client):
    health = client.get("/api/health").json()
    # A random token of 12 hex digits; a process id has at most 7.
    assert len(health["worker"]) == 12 and int(health["worker"], 16) >= 0 and health["worker"] != str(os.getpid())


# --- connections and clients that do not read ----------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("strict"), ws_send_timeout_s="1", max_connections_per_client="2") as base:
        yield base


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/ws/run"


def test_connections_per_client_are_capped_with_a_reason(strict_server):
    with connect(ws_url(strict_server)), connect(ws_url(strict_server)):
        with connect(ws_url(strict_server)) as third, pytest.raises(ConnectionClosed) as closed:
            third.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013 and "too many" in closed.value.rcvd.reason
    # Released on close: a new one is admitted.
    with connect(ws_url(strict_server)) as again:
        again.send(json.dumps(RUN))
        assert json.loads(again.recv(timeout=60))["type"] == "start"


def test_a_client_that_never_reads_is_let_go(strict_server):
    host, port = strict_server.removeprefix("http://").split(":")
    sock = raw_client(host, int(port))
    try:
        big = {**RUN, "surface": "narrow_valley", "starts": {"random": 10000}, "steps": 1000, "optimizers": [{"preset": "adam"}] * 4}
        sock.sendall(masked_text(json.dumps(big)))
        deadline = time.monotonic() + 5
        while get_json(strict_server + "/api/health")["streams"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # The send timeout (1 s) drops the run; the close handshake gives up after the
        # WebSocket layer's close timeout, and the connection is gone.
        deadline = time.monotonic() + 30
        while True:
            health = get_json(strict_server + "/api/health")
            # The connection is reset (TCP_INFO's state leaves ESTABLISHED, 1): the kernel holds
            # no unsent frame for this client either.
            if health["streams"] == 0 and health["in_flight"] == 0 and sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != 1:
                break
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
    finally:
        sock.close()
    # The server still serves well-behaved clients.
    with connect(ws_url(strict_server)) as ws:
        ws.send(json.dumps(RUN))
        assert json.loads(ws.recv(timeout=60))["type"] == "start"


def test_frames_are_split_to_the_size_limit():
    chunk = errorscape.Chunk(
        t0=1,
        t1=101,
        positions=np.zeros((100, 2, 50, 2), np.float32),
        loss=np.ones((100, 2, 50), np.float32),
        grad_norm=np.ones((100, 2, 50), np.float32),
        test_loss=None,
        diverged_at=np.full((2, 50), -1, np.int32),
    )
    step_bytes = 2 * 50 * 4 * 4
    frames = serialize.pack_frames(7, chunk, 16 + 30 * step_bytes)
    assert [len(f) for f in frames] == [16 + 30 * step_bytes] * 3 + [16 + 10 * step_bytes]
    heads = [serialize.FRAME_HEADER.unpack(f[:16]) for f in frames]
    assert [(h[1], h[2], h[3]) for h in heads] == [(7, 1, 30), (7, 31, 30), (7, 61, 30), (7, 91, 10)]
    # One step is the least a frame holds, whatever the limit.
    assert len(serialize.pack_frames(7, chunk, 10)) == 100


# --- superseded runs ------------------------------------------------------------------------------


def test_a_superseded_run_sends_nothing_after_it_is_superseded(client):
    # A chunk of this run takes a good fraction of a second: the new run arrives while the old
    # one computes its first chunk, and that chunk must not be sent.
    slow = {**RUN, "surface": "narrow_valley", "starts": {"random": 8192}, "steps": 400, "optimizers": [{"preset": "adam"}] * 8}
    with client.websocket_connect("/ws/run") as ws:
        ws.send_text(json.dumps(slow))
        start = json.loads(ws.receive_text())
        assert start["type"] == "start" and start["run"] == 1
        first = ws.receive_bytes()
        assert serialize.FRAME_HEADER.unpack(first[:16])[1:3] == (1, 0)
        # The old run now computes steps 1–100 (about a second here); supersede it meanwhile.
        time.sleep(0.2)
        ws.send_text(json.dumps(RUN))
        old_frames_after = []
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                run, t0, _n = serialize.FRAME_HEADER.unpack(message["bytes"][:16])[1:]
                if run == 1:
                    old_frames_after.append(t0)
                continue
            reply = json.loads(message["text"])
            if reply["type"] == "done" and reply["run"] == 2:
                break
    # Nothing the old run computed after it was superseded went out.
    assert old_frames_after == [], old_frames_after


# --- big answers are encoded off the event loop ---------------------------------------------------


def test_answers_are_validated_and_encoded_in_a_compute_thread(client, monkeypatch):
    threads: list[str] = []
    real = serialize.model_response

    def recording(model, data):
        threads.append(threading.current_thread().name)
        return real(model, data)

    for module in ("run", "basin", "surfaces", "custom"):
        monkeypatch.setattr(f"errorscape.server.routes.{module}.model_response", recording)
    assert client.post("/api/run", json={k: v for k, v in RUN.items() if k != "type"}).status_code == 200
    assert client.get("/api/surfaces/saddle/grid", params={"n": 8}).status_code == 200
    assert client.post("/api/custom", json={"custom": {"formula": "x^2+y^2"}, "n": 8}).status_code == 200
    body = {"surface": "saddle", "optimizer": {"preset": "sgd"}, "grid": 4, "steps": 3}
    assert client.post("/api/basin", json=body).status_code == 200
    assert len(threads) == 4 and all(name.startswith("errorscape-compute") for name in threads), threads


# --- inputs that used to slip through -------------------------------------------------------------


@pytest.mark.parametrize("sigma", ["adagrad", "rmsprop", "adam"])
def test_eps_zero_with_a_zero_gradient_component_takes_a_zero_step(sigma):
    # On the saddle x² − y² a start on the x axis has ∂L/∂y = 0 exactly.
    cfg = {"preset": "sgd", "sigma": sigma, "eps": 0.0, "lr": 0.01}
    run = errorscape.simulate("saddle", [cfg], starts=[[0.5, 0.0]], steps=20)
    assert (run.diverged_at == -1).all()
    assert np.isfinite(run.positions).all() and (run.positions[0, :, 0, 1] == 0.0).all()
    assert run.positions[0, -1, 0, 0] < 0.5  # x still descends


def test_a_comment_is_refused_where_it_starts():
    with pytest.raises(FormulaError) as caught:
        parse("x**2 + y # hi")
    assert (caught.value.column, caught.value.end_column) == (10, 13)
    assert parse("x**2 + y").text == "x ** 2 + y"


def test_an_unreadable_body_is_a_422(client):
    r = client.post("/api/run", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"


def test_a_message_over_the_limit_gets_an_error_reply(tmp_path):
    with running_server(tmp_path, max_body_bytes="2048") as base, connect(ws_url(base)) as ws:
        ws.send(json.dumps({**RUN, "pad": "x" * 3000}))
        reply = json.loads(ws.recv(timeout=30))
        assert reply["type"] == "error" and "at most 2048 bytes" in reply["detail"]
        ws.send(json.dumps(RUN))
        assert json.loads(ws.recv(timeout=60))["type"] == "start"


def test_an_oversized_handshake_from_another_page_is_refused(strict_server):
    with pytest.raises(InvalidStatus) as refused, connect(ws_url(strict_server), origin="http://evil.example"):
        pass
    assert refused.value.response.status_code == 403


# --- memory ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("busy, over_budget, dropped", [(0, True, True), (1, True, False), (0, False, False)])
def test_compiled_programs_are_dropped_only_when_idle_and_over_budget(busy, over_budget, dropped):
    import asyncio

    from errorscape.server import memory

    # The loop's own trim and drop are recorded (not the module's functions patched: a server
    # another test left running in this process calls those from its own loop).
    calls: list[str] = []
    done = iter(range(1000))
    now = memory.rss_mb()
    assert now is not None and now > 0
    baseline = now - (500 if over_budget else 1)

    async def scenario() -> None:
        task = asyncio.create_task(
            memory.trim_after_work(
                lambda: busy,
                lambda: next(done),
                100,
                lambda: baseline,
                period_s=0.01,
                trim=lambda: calls.append("trim"),
                drop=lambda: calls.append("drop"),
            )
        )
        await asyncio.sleep(0.2)
        task.cancel()

    asyncio.run(scenario())
    assert ("drop" in calls) is dropped
    assert ("trim" in calls) is (busy == 0)


def test_dropping_compiled_programs_frees_them_and_runs_still_work():
    from errorscape.server.memory import drop_compiled_programs
    from errorscape.surfaces import kernels

    errorscape.simulate("saddle", ["sgd"], starts={"random": 5}, steps=2)
    assert kernels.compiled_kernel_count() > 0
    drop_compiled_programs()
    assert kernels.compiled_kernel_count() == 0
    assert errorscape.simulate("saddle", ["sgd"], starts={"random": 5}, steps=2).loss.shape == (1, 3, 5)
