"""A classroom on one server: N WebSocket sessions, each re-running a run every second.

    python -m bench.load                         # 60 sessions, 60 s, its own server
    python -m bench.load --seconds 300           # the 5-minute soak
    python -m bench.load --url ws://127.0.0.1:8000/ws/run
    python -m bench.load --workers 2 --env PJRT_NPROC=1 --env ERRORSCAPE_CONCURRENCY=1
                                                 # one process per core, each with one XLA thread

Each session sends a 1,000-start x 300-step run (the app's default size) once a second; a run
still streaming when the next second starts is superseded by the new one, as a slider drag
would.  Prints p50/p95 time to first frame and to done, errors, server compilations and the
server's resident memory before and after.  Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from websockets.asyncio.client import connect

from errorscape.server.serialize import FRAME_HEADER

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Tally:
    first_frame: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)
    runs: int = 0
    superseded: int = 0
    stale_frames: int = 0  # frames of a run already superseded when they arrived
    errors: list[str] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its child processes (a multi-worker server's workers)."""
    total = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        try:
            total += rss_mb(int(child))
        except OSError:
            pass  # it exited meanwhile
    return total


def health(base: str) -> dict:
    with urllib.request.urlopen(base + "/api/health", timeout=10) as r:
        return json.loads(r.read())


def run_message(starts: int, steps: int, seed: int) -> dict:
    """The run every session sends (the page's default kind of run)."""
    return {
        "type": "run",
        "surface": "narrow_valley",
        "optimizers": [{"preset": "sgd", "lr": 0.015}],
        "starts": {"random": starts},
        "steps": steps,
        "seed": seed,
    }


async def session(url: str, index: int, seconds: float, starts: int, steps: int, tally: Tally) -> None:
    end = time.monotonic() + seconds
    message = run_message(starts, steps, index)
    try:
        async with connect(url, max_size=None, open_timeout=30) as ws:
            run = 0
            while time.monotonic() < end:
                tick = time.monotonic()
                await ws.send(json.dumps(message))
                # The server numbers a connection's runs 1, 2, …: what arrives for an earlier
                # (superseded) run is not this run's, and is not counted as its first frame.
                run += 1
                tally.runs += 1
                got_first = False
                while True:
                    remaining = max(0.05, tick + 1.0 - time.monotonic())
                    try:
                        reply = await asyncio.wait_for(ws.recv(), timeout=remaining)
                    except TimeoutError:
                        tally.superseded += 1  # the next run supersedes this one
                        break
                    if isinstance(reply, bytes):
                        if FRAME_HEADER.unpack(reply[: FRAME_HEADER.size])[1] != run:
                            tally.stale_frames += 1
                        elif not got_first:
                            tally.first_frame.append(time.monotonic() - tick)
                            got_first = True
                        continue
                    answer = json.loads(reply)
                    if answer.get("run", run) != run:
                        continue
                    if answer["type"] == "done":
                        tally.done.append(time.monotonic() - tick)
                        break
                    if answer["type"] == "error":
                        tally.errors.append(reply[:200])
                        break
                await asyncio.sleep(max(0.0, tick + 1.0 - time.monotonic()))
    except Exception as err:  # a refused or dropped connection is an error of the run
        tally.errors.append(f"session {index}: {type(err).__name__}: {err}")


async def warm(url: str, starts: int, steps: int) -> None:
    """One run of the load's shape, waited for: its program compiles before the clock starts,
    as on a server that has been up a while (the warm-up compiles the page's shapes only)."""
    message = run_message(starts, steps, 0)
    async with connect(url, max_size=None, open_timeout=30) as ws:
        await ws.send(json.dumps(message))
        while True:
            reply = await asyncio.wait_for(ws.recv(), timeout=300)
            if isinstance(reply, str) and json.loads(reply)["type"] in ("done", "error"):
                return


async def sample_rss(pid: int | None, seconds: float, samples: list[float]) -> None:
    """The server's RSS every tenth of the run, to tell a plateau from a leak."""
    if pid is None:
        return
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(seconds / 10)
        samples.append(rss_mb(pid))


async def load(url: str, sessions: int, seconds: float, starts: int, steps: int, pid: int | None, samples: list[float]) -> Tally:
    tally = Tally()
    runs = [session(url, i, seconds, starts, steps, tally) for i in range(sessions)]
    await asyncio.gather(sample_rss(pid, seconds, samples), *runs)
    return tally


def start_server(port: int, cache: str, settings: dict[str, str] | None = None, workers: int = 1) -> subprocess.Popen:
    env = {**os.environ, "ERRORSCAPE_COMPILE_CACHE_DIR": cache, **(settings or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "errorscape", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    quiet = 0  # answers in a row from a worker whose warm-up is over (any worker may answer)
    while True:
        try:
            # Loaded once its background warm-up is over, as a server that has been up a while.
            quiet = 0 if health(f"http://127.0.0.1:{port}")["warmup"]["running"] else quiet + 1
            if quiet >= 4 * workers:
                return proc
            time.sleep(0.2)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.5)


def percentile(values: list[float], q: float) -> str:
    return f"{1000 * float(np.percentile(values, q)):.0f} ms" if values else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--starts", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--url", default=None, help="a running server's /ws/run (loopback only); default: start one")
    parser.add_argument("--workers", type=int, default=1, help="server processes (errorscape serve --workers)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="the server's environment (repeatable)")
    args = parser.parse_args(argv)
    server_env = dict(item.split("=", 1) for item in args.env)

    proc = None
    with tempfile.TemporaryDirectory() as cache:
        if args.url is None:
            proc = start_server(args.port, cache, server_env, args.workers)
            url = f"ws://127.0.0.1:{args.port}/ws/run"
        else:
            url = args.url
            if not url.startswith(("ws://127.", "ws://localhost", "ws://[::1]")):
                parser.error("--url must be a loopback address")
        base = url.replace("ws://", "http://").removesuffix("/ws/run")
        try:
            asyncio.run(warm(url, args.starts, args.steps))
            before = health(base)
            rss_before = rss_mb(proc.pid) if proc else float("nan")
            started = time.monotonic()
            samples: list[float] = []
            tally = asyncio.run(load(url, args.sessions, args.seconds, args.starts, args.steps, proc.pid if proc else None, samples))
            elapsed = time.monotonic() - started
            after = health(base)
            rss_after = rss_mb(proc.pid) if proc else float("nan")
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)

    print(f"{args.sessions} sessions x {args.seconds:g} s, runs of {args.starts} starts x {args.steps} steps, one a second each")
    if proc is not None:
        print(f"server: {args.workers} process(es), environment {server_env or 'as inherited'}")
    print(
        f"runs sent {tally.runs}, finished {len(tally.done)}, superseded {tally.superseded}, "
        f"stale frames {tally.stale_frames}, errors {len(tally.errors)} in {elapsed:.1f} s"
    )
    print(f"time to first frame: p50 {percentile(tally.first_frame, 50)}, p95 {percentile(tally.first_frame, 95)}")
    print(f"time to done:        p50 {percentile(tally.done, 50)}, p95 {percentile(tally.done, 95)}")
    print(f"server compilations during the load: {after['compilations'] - before['compilations']}")
    print(f"server RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after ({rss_after - rss_before:+.0f} MB)")
    if samples:
        print("server RSS during the load (MB): " + ", ".join(f"{v:.0f}" for v in samples))
    for e in tally.errors[:5]:
        print(f"error: {e}")
    return 1 if tally.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
