"""The first minute, as a new user meets it: `errorscape serve` with an empty compilation cache,
then again with the cache the first start filled.  For each: time until the page answers,
until the first visit's programs are ready, until the first run (the page's default) is done,
and for each lesson's first scene the time to its run's `done` and how many programs it
compiled.

    python -m bench.first_run
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from websockets.sync.client import connect

from errorscape.server.app_state import AppState
from errorscape.server.lessons import LESSONS
from tests.server_process import ROOT, free_port

FIRST_VISIT = {"surface": "narrow_valley", "optimizers": [{"preset": "sgd"}], "steps": 300}


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def run_to_done(url: str, body: dict) -> float:
    started = time.monotonic()
    with connect(url, max_size=None, open_timeout=60) as ws:
        ws.send(json.dumps({"type": "run", **body}))
        while True:
            reply = ws.recv(timeout=300)
            if isinstance(reply, str):
                kind = json.loads(reply)["type"]
                if kind == "done":
                    return time.monotonic() - started
                if kind == "error":
                    raise RuntimeError(reply)


def one_start(cache: str, label: str) -> None:
    port = free_port()
    env = {**os.environ, "ERRORSCAPE_COMPILE_CACHE_DIR": cache}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "errorscape", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as page:
                    page.read()
                break
            except OSError:
                time.sleep(0.02)
        to_page = time.monotonic() - started
        while not get(base + "/api/health")["warmup"]["ready"]:
            time.sleep(0.05)
        to_ready = time.monotonic() - started
        before = get(base + "/api/health")["compilations"]
        first = run_to_done(base.replace("http", "ws") + "/ws/run", FIRST_VISIT)
        to_first_run = time.monotonic() - started
        print(
            f"{label}: page {to_page:.2f} s, first-visit programs ready {to_ready:.2f} s, "
            f"first run done {to_first_run:.2f} s (the run itself {first:.2f} s, "
            f"{get(base + '/api/health')['compilations'] - before} programs compiled for it)"
        )
        for lesson in LESSONS:
            scene = lesson["scenes"][0]
            body = AppState.model_validate(scene["state"]).run_request()
            before = get(base + "/api/health")["compilations"]
            took = run_to_done(base.replace("http", "ws") + "/ws/run", body)
            compiled = get(base + "/api/health")["compilations"] - before
            print(f"  lesson {lesson['id']:<22} first scene {took:6.2f} s, {compiled} programs compiled")
        warm = get(base + "/api/health")["warmup"]
        print(f"  warm-up: {warm['done']} / {warm['total']} steps done by then")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        one_start(cache, "empty cache")
        one_start(cache, "warm cache ")


if __name__ == "__main__":
    main()
