"""A real uvicorn, started the way users start it (``python -m server``), on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def running_server(tmp: Path, *args: str, **settings: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "ERRORSCAPE_WARMUP": "false", "ERRORSCAPE_COMPILE_CACHE_DIR": str(tmp / "jax-cache")}
    env.update({f"ERRORSCAPE_{k.upper()}": v for k, v in settings.items()})
    log = open(tmp / f"server-{port}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "errorscape", "serve", "--port", str(port), *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(base + "/api/health")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / f"server-{port}.log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
