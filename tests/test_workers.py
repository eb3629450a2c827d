"""``errorscape serve --workers N``: several processes answer on one port, sharing nothing
but the compilation cache."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.server_process import get_json, running_server


def test_two_workers_both_serve(tmp_path):
    with running_server(tmp_path, "--workers", "2") as base:
        body = json.dumps({"surface": "saddle", "optimizers": [{"preset": "adam"}], "starts": {"random": 50}, "steps": 200}).encode()

        def run_then_health(_: int) -> str:
            request = urllib.request.Request(base + "/api/run", body, {"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as response:
                assert response.status == 200
            return str(get_json(base + "/api/health")["worker"])

        # The kernel hands each new connection to one of the processes: keep asking, in
        # parallel, until both have answered (bounded: 8 rounds of 32 requests).
        workers: set[str] = set()
        with ThreadPoolExecutor(16) as pool:
            for _ in range(8):
                workers |= set(pool.map(run_then_health, range(32)))
                if len(workers) == 2:
                    break
        assert len(workers) == 2, workers
