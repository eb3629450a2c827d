"""The browser app in headless chromium: slider-to-redraw latency and animation frame rate.

    python -m bench.browser                # its own server
    python -m bench.browser --url http://127.0.0.1:8000

* Latency: 1,000 random starts x 300 steps; the learning-rate slider is moved (an `input`
  event, as a drag makes) and the time is taken from the event to the first redraw with the
  new run (its first 100-step frame), to the redraw of the finished run, and to the charts
  under it drawn too. The server's own
  compute time for the run (from its `done` message) is shown beside.
* The network lab: 64 networks of 2-16-16-2 on the moons x 1,000 steps; the learning-rate
  slider moved, timed to the first redrawn training curve, the finished run, and the picked
  network's loss plane and Hessian spectrum after it.
* A long noisy run: the batch-size lesson's race (2 configurations x 256 starts x 2,560
  steps, one of them batch size 1, so every step of its trails moves), opened three times
  (the first compiles); the time from opening it to the finished run drawn, and its playback
  frame rate.
* Frame rate: 1,000 and 10,000 random starts x 300 steps played at 1x; frames are those
  painted (playback advances a fixed number of steps per painted frame, so a paint slower than
  the screen makes the run play longer; the screen's own rate, 60 frames/s, is the ceiling).

Chromium: Debian's /usr/bin/chromium with the flags the tests use (no GPU: canvas and WebGL
are rasterised on the CPU).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import urllib.parse

import numpy as np
from playwright.sync_api import Page, sync_playwright

from bench.load import start_server
from errorscape.server.lessons import get_scene
from tests.chromium import CHROMIUM, FLAGS
from tests.server_process import free_port

DONE = "() => window.errorscape && window.errorscape.run && window.errorscape.run.divergedAt !== null && !window.errorscape.rendering()"


def open_state(page: Page, base: str, state: dict) -> None:
    page.goto("about:blank")  # a hash change alone would keep the page and its finished run
    page.goto(base + "/#" + urllib.parse.quote(json.dumps(state)))
    page.wait_for_function(DONE, timeout=300_000)


def slider_latency(page: Page, base: str, moves: int) -> dict:
    open_state(
        page, base, {"surface": "rosenbrock", "starts": {"random": 1000, "defaults": False}, "steps": 300, "configs": [{"lr": 0.001}]}
    )
    first, done, charts, compute = [], [], [], []
    for i in range(moves + 2):  # the first two warm the shapes' compiles
        run_id = page.evaluate("() => window.errorscape.run.id")
        page.evaluate(
            """(v) => { const s = document.getElementById('lr'); s.value = String(v); s.dispatchEvent(new Event('input')); }""",
            -3 + 0.01 * (i % 2 + 1),
        )
        page.wait_for_function(
            f"() => {{ const a = window.errorscape; const t = a.timing; return a.run.id !== {run_id}"
            " && t.chartsDrawAt > t.changedAt && t.doneDrawAt > t.changedAt; }",
            timeout=120_000,
        )
        timing = page.evaluate("() => window.errorscape.timing")
        status = page.evaluate("() => document.getElementById('status').textContent")
        if i >= 2:
            first.append(timing["firstDrawAt"] - timing["changedAt"])
            done.append(timing["doneDrawAt"] - timing["changedAt"])
            charts.append(timing["chartsDrawAt"] - timing["changedAt"])
            compute.append(float(status.split(" ms")[0].split("·")[-1]))
    return {"first": first, "done": done, "charts": charts, "compute": compute}


LAB_READY = (
    "() => { const l = window.errorscape && window.errorscape.labRun;"
    " return !!(l && l.run && l.run.finished && l.hessian && (l.plane || l.planeError)"
    " && (l.ratios || window.errorscape.lab.chart !== 'ratio')); }"
)


def lab_latency(page: Page, base: str, moves: int) -> dict:
    """The network lab: 64 networks of 2-16-16-2 on the moons × 1,000 steps; the learning-rate
    slider moved, and the time from the event to the first redrawn training curve (the first
    200-step frame), to the finished run, and to the picked network's plane and spectrum."""
    page.goto("about:blank")
    page.goto(base + "/#" + urllib.parse.quote(json.dumps({"mode": "nets", "lab": {"networks": 64, "steps": 1000}})))
    page.wait_for_function(LAB_READY, timeout=300_000)
    out: dict[str, list[float]] = {"first": [], "done": [], "plane": [], "spectrum": []}
    for i in range(moves + 2):  # the first two warm the compiles
        run_id = page.evaluate("() => window.errorscape.labRun.run.id")
        page.evaluate(
            """(v) => { const s = document.getElementById('lab-lr'); s.value = String(v); s.dispatchEvent(new Event('input')); }""",
            -2 + 0.01 * (i % 2 + 1),
        )
        page.wait_for_function(
            f"() => {{ const l = window.errorscape.labRun; const t = l.timing; return l.run.id !== {run_id}"
            " && t.planeAt > t.changedAt && t.spectrumAt > t.changedAt && t.firstCurveAt > t.changedAt; }",
            timeout=300_000,
        )
        t = page.evaluate("() => window.errorscape.labRun.timing")
        if i >= 2:
            out["first"].append(t["firstCurveAt"] - t["changedAt"])
            out["done"].append(t["doneAt"] - t["changedAt"])
            out["plane"].append(t["planeAt"] - t["doneAt"])
            out["spectrum"].append(t["spectrumAt"] - t["doneAt"])
    return out


def frame_rate(page: Page) -> tuple[float, int]:
    page.evaluate("() => { window.errorscape.time = 0; document.getElementById('play').click(); }")
    page.wait_for_function("() => !window.errorscape.playing && !window.errorscape.rendering()", timeout=300_000)
    p = page.evaluate("() => window.errorscape.playback")
    seconds = (p["until"] - p["since"]) / 1000
    return p["frames"] / seconds, p["frames"]


def long_run(page: Page, base: str, opens: int = 3) -> tuple[list[float], float]:
    """The race scene opened ``opens`` times: seconds from opening to the finished run drawn
    (the first includes its compiles), then its playback frame rate."""
    state = get_scene("batch-size", "race")["state"]
    seconds = []
    for _ in range(opens):
        start = time.perf_counter()
        open_state(page, base, state)
        seconds.append(time.perf_counter() - start)
    fps, _ = frame_rate(page)
    return seconds, fps


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} ms, p95 {float(np.percentile(values, 95)):.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args(argv)
    server = None
    base = args.url
    if base is None:
        port = free_port()
        server = start_server(port, tempfile.mkdtemp(prefix="errorscape-bench-"))
        base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            print(f"machine: {platform.machine()}, {platform.system()}, chromium {browser.version}")
            lat = slider_latency(page, base, args.moves)
            print(f"slider -> first redraw (1000 x 300): {summary(lat['first'])}")
            print(f"slider -> finished run drawn:        {summary(lat['done'])}")
            print(f"slider -> charts drawn too:          {summary(lat['charts'])}")
            print(f"server compute per run:              median {statistics.median(lat['compute']):.0f} ms")
            lab = lab_latency(page, base, max(3, args.moves // 4))
            print(f"lab: slider -> first training curve (64 nets x 1000 steps): {summary(lab['first'])}")
            print(f"lab: slider -> run finished:                              {summary(lab['done'])}")
            print(f"lab: run finished -> plane drawn:                         {summary(lab['plane'])}")
            print(f"lab: run finished -> spectrum drawn:                      {summary(lab['spectrum'])}")
            opened, fps = long_run(page, base)
            times = ", ".join(f"{v:.1f}" for v in opened)
            print(f"long noisy run (race scene, 2 x 256 x 2,560): opened and drawn in {times} s; plays at {fps:.1f} fps")
            for n in (1000, 10000):
                open_state(
                    page,
                    base,
                    {"surface": "himmelblau", "starts": {"random": n, "defaults": False}, "steps": 300, "configs": [{"lr": 0.002}]},
                )
                fps, frames = frame_rate(page)
                print(f"animation, {n:,} dots: {fps:.1f} fps ({frames} frames drawn)")
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
