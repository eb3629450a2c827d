"""A mixed hostile load on one server, on loopback, for a bounded time: well-behaved sessions
(as bench/load.py) beside clients that never read, handshakes from other origins, forged Host
headers and a stream of requests of distinct shapes (each a new compiled program).

Prints what the well-behaved clients saw (errors: target 0; p95 time to first frame), the
server's RSS from idle to the end (target: growth <= 150 MB, and a plateau over the distinct
shapes), how long stalled clients were held, and how many hostile requests were refused.

    python -m bench.abuse                      # 60 sessions, 60 s
    python -m bench.abuse --quick              # a few of each, to check the script runs
    python -m bench.abuse --shapes 2000 --sessions 0 --stalled 0   # the distinct-shape stream alone
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request

from bench.load import Tally, percentile, rss_mb, session, start_server

SHAPE_SURFACES = ("narrow_valley", "saddle", "bumpy", "rosenbrock", "himmelblau", "two_weight_net")


def post(base: str, path: str, body: dict, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def get(base: str, path: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers or {}), timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def shape_request(i: int, rng: random.Random) -> tuple[str, dict | None]:
    """The i-th request of the distinct-shape stream: loss grids of every side, runs of varied
    start counts, batch sizes and steps, typed formulas, basin maps."""
    kind = i % 4
    surface = SHAPE_SURFACES[i % len(SHAPE_SURFACES)]
    if kind == 0:
        return f"/api/surfaces/{surface}/grid?n={2 + (i // 4) % 399}", None
    if kind == 1:
        body = {
            "surface": surface,
            "optimizers": [{"preset": rng.choice(["sgd", "adam", "rmsprop"])}] * (1 + i % 3),
            "starts": {"random": 1 + rng.randrange(300)},
            "steps": 1 + rng.randrange(200),
            "batch_size": rng.choice([None, 1, 2, 4, 8, 16]),
            "seed": i,
        }
        if surface in ("rosenbrock", "himmelblau", "two_weight_net", "saddle"):
            body["batch_size"] = None
        return "/api/run", body
    if kind == 2:
        return "/api/custom", {"custom": {"formula": f"x^2 + {1 + i % 97}*y^2 + 0.{i % 10}*sin({1 + i % 7}*x)"}, "n": 20 + i % 60}
    return "/api/basin", {"surface": surface, "optimizer": {"preset": "sgd", "lr": 0.01}, "grid": 4 + i % 40, "steps": 20}


def shapes(base: str, count: int, pid: int | None, deadline: float, out: dict) -> None:
    rng = random.Random(0)
    statuses: dict[int, int] = {}
    rss = []
    for i in range(count):
        if time.monotonic() > deadline:
            break
        path, body = shape_request(i, rng)
        status = get(base, path) if body is None else post(base, path, body)
        statuses[status] = statuses.get(status, 0) + 1
        if pid is not None and (i + 1) % max(1, count // 10) == 0:
            rss.append((i + 1, rss_mb(pid)))
    out["statuses"] = statuses
    out["rss"] = rss


def raw_client(host: str, port: int) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads a byte (a tiny
    receive buffer, so the server's frames back up at once)."""
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws/run HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        raise ConnectionError(f"the WebSocket handshake was refused: {head[:40]!r}")
    return sock


def masked_text(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def stalled(host: str, port: int, count: int, deadline: float, held: list[float]) -> None:
    """Clients that ask for a large run and never read; how long until the server lets go."""
    big = {
        "type": "run",
        "surface": "narrow_valley",
        "optimizers": [{"preset": "adam"}] * 4,
        "starts": {"random": 10000},
        "steps": 1000,
    }
    socks = []
    for _ in range(count):
        sock = raw_client(host, port)
        sock.sendall(masked_text(json.dumps(big)))
        socks.append((sock, time.monotonic()))
    pending = list(socks)
    while pending and time.monotonic() < deadline:
        time.sleep(0.2)
        for item in list(pending):
            sock, since = item
            # The kernel's view of the connection (TCP_INFO's first byte): still ESTABLISHED
            # (1) while the server holds it; reset or closed by the server otherwise.  Reading
            # would be the very thing these clients never do.
            if sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != 1:
                held.append(time.monotonic() - since)
                pending.remove(item)
    for sock, _ in socks:
        sock.close()
    held.extend(float("inf") for _ in pending)


def hostile_handshakes(base: str, count: int, out: dict) -> None:
    """Other pages' handshakes and forged Host headers: each must be refused."""
    refused = 0
    host, port = base.removeprefix("http://").split(":")
    for i in range(count):
        sock = socket.create_connection((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        origin = ["http://evil.example", "null", "file://"][i % 3]
        sock.sendall(
            f"GET /ws/run HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = sock.recv(64)
        sock.close()
        refused += head.startswith(b"HTTP/1.1 403")
        refused += get(base, "/api/health", {"Host": f"rebind{i}.evil.example"}) == 400
    out["refused"] = refused
    out["tried"] = 2 * count


async def well_behaved(url: str, sessions: int, seconds: float, tally: Tally) -> None:
    await asyncio.gather(*(session(url, i, seconds, 1000, 300, tally) for i in range(sessions)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--stalled", type=int, default=6)
    parser.add_argument("--hostile", type=int, default=60)
    parser.add_argument("--shapes", type=int, default=400)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.sessions, args.seconds, args.stalled, args.hostile, args.shapes = 3, 5.0, 1, 3, 12

    with tempfile.TemporaryDirectory() as cache:
        proc = start_server(args.port, cache, {"ERRORSCAPE_WS_SEND_TIMEOUT_S": "5"})
        base = f"http://127.0.0.1:{args.port}"
        try:
            idle = rss_mb(proc.pid)  # after the background warm-up (start_server waits for it)
            deadline = time.monotonic() + max(args.seconds, 1.0) + 600
            held: list[float] = []
            shape_out: dict = {}
            hostile_out: dict = {}
            threads = [
                threading.Thread(target=stalled, args=("127.0.0.1", args.port, args.stalled, time.monotonic() + args.seconds + 60, held)),
                threading.Thread(target=hostile_handshakes, args=(base, args.hostile, hostile_out)),
                threading.Thread(target=shapes, args=(base, args.shapes, proc.pid, deadline, shape_out)),
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            tally = Tally()
            if args.sessions:
                asyncio.run(well_behaved(f"ws://127.0.0.1:{args.port}/ws/run", args.sessions, args.seconds, tally))
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            end = rss_mb(proc.pid)
            # Settled: after the server's idle trim (server/memory.py) has had its chance.
            time.sleep(12)
            settled = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(
        f"{args.sessions} well-behaved sessions x {args.seconds:g} s; {args.stalled} never-reading clients; "
        f"{args.hostile} foreign-origin handshakes and {args.hostile} forged hosts; {args.shapes} distinct-shape requests; {elapsed:.0f} s"
    )
    print(
        f"well-behaved: runs {tally.runs}, finished {len(tally.done)}, errors {len(tally.errors)}, stale frames {tally.stale_frames}, "
        f"first frame p50 {percentile(tally.first_frame, 50)} p95 {percentile(tally.first_frame, 95)}"
    )
    print(f"never-reading clients held: {', '.join(f'{h:.1f} s' for h in sorted(held)) or '-'}")
    print(f"hostile handshakes and hosts refused: {hostile_out.get('refused', 0)} of {hostile_out.get('tried', 0)}")
    print(f"distinct-shape requests by status: {shape_out.get('statuses', {})}")
    print("server RSS over the shapes (requests: MB): " + ", ".join(f"{n}: {mb:.0f}" for n, mb in shape_out.get("rss", [])))
    print(
        f"server RSS: idle {idle:.0f} MB, end {end:.0f} MB ({end - idle:+.0f} MB), "
        f"settled 12 s later {settled:.0f} MB ({settled - idle:+.0f} MB)"
    )
    for e in tally.errors[:5]:
        print(f"error: {e}")
    failed = bool(tally.errors) or hostile_out.get("refused", 0) != hostile_out.get("tried", 0) or any(h == float("inf") for h in held)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
