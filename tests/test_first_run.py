"""The first minute: the page answers while programs compile in the background, the log says
so under uvicorn, a busy port fails at once, and a second Python process loads what a first
one compiled."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from errorscape.server.cli import _addresses
from errorscape.server.lessons import LESSONS
from errorscape.server.warmup import plan
from tests.server_process import ROOT, get_json, running_server


def test_the_page_answers_while_the_warm_up_runs_and_the_log_shows_it(tmp_path):
    with running_server(tmp_path, warmup="true") as base:
        # running_server returns as soon as /api/health answers: the warm-up has barely begun.
        health = get_json(base + "/api/health")
        steps, first_visit = plan()
        assert health["warmup"]["total"] == len(steps) and health["warmup"]["first_visit"] == first_visit
        assert health["warmup"]["done"] < len(steps) and health["warmup"]["running"]
        with urllib.request.urlopen(base + "/", timeout=10) as page:
            assert page.status == 200
        deadline = time.monotonic() + 120
        while not get_json(base + "/api/health")["warmup"]["ready"]:
            assert time.monotonic() < deadline, "the first visit's programs never became ready"
            time.sleep(0.2)
        log = next(tmp_path.glob("server-*.log")).read_text()
    # errorscape's own log lines are shown beside uvicorn's.
    assert "warm-up 1/" in log and "the first visit's programs are ready" in log


def test_the_first_visit_is_compiled_first():
    steps, first_visit = plan()
    labels = [s.label for s in steps[:first_visit]]
    assert all(label.startswith("narrow_valley") for label in labels)
    assert len({s.label for s in steps}) == len(steps)  # nothing compiled twice


LESSON_SCRIPT = """
import json
import numpy as np
from errorscape import surfaces
from errorscape.server.app_state import AppState
from errorscape.server.lessons import LESSONS
from errorscape.server.routes.stream import end_point_summary
from errorscape.server.warmup import plan
from errorscape.surfaces.compilations import compilation_count
from errorscape.surfaces.kernels import CHUNK_STEPS

warmed = [step for step in plan()[0] if step.label.startswith("lesson ")]
for step in warmed:
    step.run()
before = compilation_count()
for lesson in LESSONS:
    for scene in lesson["scenes"]:
        # What the WebSocket runs for the scene (more than one chunk), then its done message's end points.
        kwargs = {**AppState.model_validate(scene["state"]).run_request(), "steps": 2 * CHUNK_STEPS + 1}
        *_, last = surfaces.simulate_chunks(**kwargs, specialise=False)
        end_point_summary(kwargs, np.array(last.positions[-1], np.float32))
print(json.dumps([len(warmed), compilation_count() - before]))
"""


def test_after_the_warm_up_no_lesson_scene_compiles():
    # Its own process: the compiled-program caches are bounded, and another test's programs
    # must not evict the warm-up's.
    env = {**os.environ, "ERRORSCAPE_COMPILE_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", LESSON_SCRIPT], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    warmed, compiled = json.loads(out.stdout.strip().splitlines()[-1])
    assert warmed == sum(len(lesson["scenes"]) for lesson in LESSONS)
    assert compiled == 0


NET_VISIT_SCRIPT = """
import json, sys
from errorscape.server import nets_lab
from errorscape.server.net_lessons import NET_LESSONS, lab_spec
from errorscape.surfaces.compilations import cache_hit_count, compilation_count

chosen = sys.argv[1:]  # "lesson/scene"
for lesson in NET_LESSONS:
    for scene in lesson["scenes"]:
        if f"{lesson['id']}/{scene['id']}" not in chosen:
            continue
        # What the page asks when the scene opens: the run, then the picked network's picture,
        # plane, line to another network and Hessian, and the homework's figure on its chart.
        args, run = nets_lab.lab_run(lab_spec(scene["lab"]))
        for _, ask in nets_lab.page_questions(args, scene["chart"], scene["lab"]["plane"]):
            ask(args, run)
print(json.dumps([compilation_count(), cache_hit_count()]))
"""


def test_after_the_warm_up_a_network_lesson_scene_compiles_nothing(tmp_path):
    # The warm-up's child process fills the compile cache; a server process visiting the scene
    # afterwards loads every program from it.  Three scenes of different kinds: the homework's
    # figure (full Hessians of 32 networks), a full-batch configuration raced against a
    # minibatch one, a network too large for the full spectrum (λmax by Lanczos only).
    chosen = ["net-critical-points/ratio", "net-flat-minima/race", "net-optimization/deep"]
    env = {**os.environ, "ERRORSCAPE_COMPILE_CACHE": "1", "ERRORSCAPE_COMPILE_CACHE_DIR": str(tmp_path / "jax")}
    warm = subprocess.run([sys.executable, "-m", "errorscape.server.warmup", *chosen], env=env, capture_output=True, text=True, cwd=ROOT)
    assert warm.returncode == 0, warm.stderr[-2000:]
    assert warm.stderr.count("warm-up, network scenes") == len(chosen)
    visit = subprocess.run([sys.executable, "-c", NET_VISIT_SCRIPT, *chosen], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    compiled, loaded = json.loads(visit.stdout.strip().splitlines()[-1])
    assert compiled == 0 and loaded > 10


def test_the_network_scenes_warm_up_needs_a_compile_cache(monkeypatch):
    # Without a persistent cache a child process's programs would be lost: no process starts.
    import jax

    from errorscape.server import warmup

    started = []
    monkeypatch.setattr(warmup.subprocess, "Popen", lambda *a, **k: started.append(a))
    step = plan()[0][-1]
    assert step.label.startswith("the network lab's lesson scenes")
    assert all(s.label != step.label for s in plan(networks=False)[0])  # ERRORSCAPE_WARMUP_NETWORKS=false
    folder = getattr(jax.config, "jax_compilation_cache_dir", None)
    try:
        jax.config.update("jax_compilation_cache_dir", None)
        step.run()
    finally:
        jax.config.update("jax_compilation_cache_dir", folder)
    assert started == []


def test_a_busy_port_fails_at_once_with_a_clear_message():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "errorscape", "serve", "--port", str(port)], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
    assert out.returncode != 0 and "cannot listen" in out.stderr and "--port" in out.stderr
    assert time.monotonic() - started < 30  # before any compiling, not after a warm-up


def test_wildcard_addresses_include_loopback():
    urls = _addresses("0.0.0.0", 8123)
    assert "http://127.0.0.1:8123/" in urls and all(u.endswith(":8123/") for u in urls)


SCRIPT = """
import errorscape, json
from errorscape.surfaces.compilations import compilation_count, cache_hit_count
errorscape.simulate("saddle", ["adam"], steps=5)
print(json.dumps([compilation_count(), cache_hit_count()]))
"""


def test_a_second_process_loads_what_the_first_compiled(tmp_path):
    env = {**os.environ, "ERRORSCAPE_COMPILE_CACHE": "1", "ERRORSCAPE_COMPILE_CACHE_DIR": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    compiled, hits = map(int, first.stdout.strip()[1:-1].split(","))
    assert compiled > 0 and hits == 0
    compiled, hits = map(int, second.stdout.strip()[1:-1].split(","))
    assert compiled == 0 and hits > 0, second.stdout
    off = subprocess.run([sys.executable, "-c", SCRIPT], env={**env, "ERRORSCAPE_COMPILE_CACHE": "0"}, capture_output=True, text=True)
    assert off.returncode == 0 and off.stdout.strip().startswith("[") and ", 0]" in off.stdout


LATE = """
import warnings, jax
jax.devices()
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    import errorscape
print(sum("AVX cap" in str(x.message) for x in w))
"""
EARLY = """
import warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    import errorscape, jax
    jax.devices()
print(sum("AVX cap" in str(x.message) for x in w))
"""


def test_importing_after_jax_started_warns_that_the_cap_cannot_apply():
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "ERRORSCAPE_CPU_FMA")}
    late = subprocess.run([sys.executable, "-c", LATE], env=env, capture_output=True, text=True, check=True)
    early = subprocess.run([sys.executable, "-c", EARLY], env=env, capture_output=True, text=True, check=True)
    assert (late.stdout.strip(), early.stdout.strip()) == ("1", "0")


def test_the_first_visit_shows_the_zigzag_across_the_valley():
    """The page's defaults (the first surface, its parameters, the sgd preset, full batch): the
    steep coordinate changes sign every step (a zigzag, η·κ between 1 and 2), and shrinks."""
    import numpy as np

    from errorscape import surfaces

    valley = surfaces.get_surface("narrow_valley")
    params = valley.param_defaults()
    run = surfaces.simulate("narrow_valley", "sgd", None, 12, None, 0, params)
    y = run.positions[0, :, :, 1]  # [steps + 1, starts]
    moving = np.abs(y[0]) > 0.1
    assert moving.any()
    signs = np.sign(y[:, moving])
    assert np.all(signs[1:] == -signs[:-1])  # across the valley and back, every step
    assert np.all(np.abs(y[-1, moving]) < np.abs(y[0, moving]))
