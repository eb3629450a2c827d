"""Compiling in the background what pages ask for first, after the port is open.

The server answers at once; the programs a first visit needs (the default surface's first run,
its grid, the end points' Hessians) compile first, then each other surface's, then each lesson
scene's run, then the rest; last, another process compiles the network lab's lesson scenes
into the compile cache.  A request whose program is not compiled yet compiles it itself:
nothing waits for the warm-up, and the warm-up only saves the first visitor that wait.
Progress is logged and served (GET /api/health), and the page shows it until the first-visit
programs are ready.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import numpy as np

from errorscape import surfaces
from errorscape.server import nets_lab
from errorscape.server.app_state import AppState
from errorscape.server.lessons import LESSONS
from errorscape.server.memory import release_freed_memory, rss_mb
from errorscape.server.net_lessons import NET_LESSONS, lab_spec
from errorscape.server.routes.stream import end_point_summary
from errorscape.surfaces.basins import BASIN_PASSES, basin_map
from errorscape.surfaces.critical import known_critical_points, minimum_ratio
from errorscape.surfaces.grid import loss_grid

log = logging.getLogger("errorscape")

# The page's first visit: its default state (static/js/state.js defaultState) on this surface.
FIRST_SURFACE = "narrow_valley"
PAGE_GRID = 121  # the page's contour grid side (static/js/api.js getGrid)


@dataclass(frozen=True)
class Step:
    label: str
    run: Callable[[], object]


def _surface_steps(name: str) -> list[Step]:
    # Padded shapes: 3 default starts and a handful of clicks share one bucket, 1,000 random
    # starts another; one and four configurations; the grid; the end points' Hessians.
    return [
        Step(f"{name}: a run", lambda: surfaces.simulate(name, ["sgd"], steps=1)),
        # The grid answer carries the critical points for the parameters (a Newton search).
        Step(f"{name}: its grid", lambda: (loss_grid(name, PAGE_GRID), known_critical_points(name))),
        Step(f"{name}: end-point Hessians", lambda: minimum_ratio(name, np.zeros((3, 2), np.float32))),
        Step(f"{name}: four configurations", lambda: surfaces.simulate(name, ["sgd", "momentum", "rmsprop", "adam"], steps=1)),
        Step(f"{name}: 1,000 starts", lambda: surfaces.simulate(name, ["adam"], starts={"random": 1000}, steps=1)),
        Step(f"{name}: 1,000 end points", lambda: minimum_ratio(name, np.zeros((1000, 2), np.float32))),
    ]


def _scene_run(state: dict[str, Any]) -> None:
    """The run a lesson scene's page sends, as the WebSocket runs it (the general program, see
    requests.run_arguments; steps are not in a compile key, so one step compiles them all), and
    its end points' verdicts, as its done message computes them."""
    kwargs = {**AppState.model_validate(state).run_request(), "steps": 1}
    *_, last = surfaces.simulate_chunks(**kwargs, specialise=False)  # the starts, then a chunk of steps
    end_point_summary(kwargs, np.array(last.positions[-1], np.float32))


def _lesson_steps() -> list[Step]:
    # The surfaces' lessons, scene by scene in the order a class walks them: a scene's first
    # visit otherwise compiles its run and its end points' Hessians (the batch-size race:
    # about 6 s of a 13 s first visit here).  Scenes of the same shapes are cache hits.
    return [
        Step(f"lesson {lesson['id']}, scene {scene['id']}", partial(_scene_run, scene["state"]))
        for lesson in LESSONS
        for scene in lesson["scenes"]
    ]


def _basin_steps(name: str) -> list[Step]:
    # A basin map runs on programs specialised on the optimizer's modes (end points only: see
    # engine.simulate_final), one per pair of modes and grid: the page's default optimizer's (its
    # first preset) on the first surface, the map a first click asks for.
    preset = next(iter(surfaces.PRESETS))
    return [Step(f"{name}: basin maps of {preset}", lambda: [basin_map(name, preset, g, steps=1) for g in BASIN_PASSES])]


def _net_lesson_steps() -> list[Step]:
    # The network lab's lessons: a scene's first visit otherwise compiles its trainer and the
    # programs of the questions the page asks about the run (5–40 s a scene here, most of it
    # compiling); compiled without training.
    return [
        Step(
            f"network lesson {lesson['id']}, scene {scene['id']}",
            partial(nets_lab.prepare, lab_spec(scene["lab"]), scene["chart"], scene["lab"]["plane"]),
        )
        for lesson in NET_LESSONS
        for scene in lesson["scenes"]
    ]


def _net_lessons_elsewhere(stop: threading.Event) -> None:
    """The network scenes' programs, compiled by a child process at low priority into the
    persistent compilation cache: a first visit loads them from disk (a second or two a scene
    here), and this process does not hold them until a visit needs them (holding all of them
    took 0.8 GB here).  Without the cache there is nowhere to keep them: skipped."""
    folder = getattr(jax.config, "jax_compilation_cache_dir", None)
    if not folder:
        log.info("warm-up: no compile cache; the network lab's lesson scenes compile on their first visit")
        return
    env = {**os.environ, "ERRORSCAPE_COMPILE_CACHE": "1", "ERRORSCAPE_COMPILE_CACHE_DIR": str(folder)}
    child = subprocess.Popen([sys.executable, "-m", "errorscape.server.warmup"], env=env)
    while child.poll() is None:
        if stop.wait(1.0):  # the server is stopping
            child.terminate()
            child.wait()
            return
    if child.returncode != 0:
        raise RuntimeError(f"the network scenes' warm-up process exited with {child.returncode}")


def plan(stop: threading.Event | None = None, networks: bool = True) -> tuple[list[Step], int]:
    """(every step, how many of them the first visit needs): the first visit's first."""
    first = _surface_steps(FIRST_SURFACE)
    steps = first[:3] + [s for name in surfaces.surface_names() if name != FIRST_SURFACE for s in _surface_steps(name)[:3]]
    steps += _lesson_steps()
    steps += first[3:] + [s for name in surfaces.surface_names() if name != FIRST_SURFACE for s in _surface_steps(name)[3:]]
    steps += _basin_steps(FIRST_SURFACE)
    if networks:
        steps.append(Step("the network lab's lesson scenes (another process)", partial(_net_lessons_elsewhere, stop or threading.Event())))
    return steps, 3


class WarmUp:
    """The background warm-up of one app: its progress, and a way to stop it early."""

    def __init__(self, networks: bool = True) -> None:
        self._stop = threading.Event()
        self.steps, self.first_visit = plan(self._stop, networks)
        self.done = 0
        self.failed = 0
        self.running = False
        self.baseline_mb: float | None = None  # the process's RSS when the warm-up ended
        self._thread: threading.Thread | None = None

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def ready(self) -> bool:
        """Whether the first visit's programs are compiled (or there is no warm-up running)."""
        return not self.running or self.done >= self.first_visit

    def mark_baseline(self) -> None:
        """Without a warm-up, the baseline is the RSS at start-up."""
        self.baseline_mb = rss_mb()

    def start(self) -> None:
        self.running = True
        self._thread = threading.Thread(target=self._run, name="errorscape-warmup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the warm-up to finish (tests, and the image build)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        started = time.perf_counter()
        log.info("warm-up: compiling %d programs in the background, the first visit's %d first", self.total, self.first_visit)
        try:
            for step in self.steps:
                if self._stop.is_set():
                    return
                try:
                    step.run()
                except Exception:  # a failed warm-up step is a slower first request, not a dead server
                    self.failed += 1
                    log.exception("warm-up step failed: %s", step.label)
                # Logged before it is counted: /api/health never says a step is done (or the
                # first visit ready) before the log does.
                done = self.done + 1
                log.info("warm-up %d/%d: %s (%.1f s)", done, self.total, step.label, time.perf_counter() - started)
                if done == self.first_visit:
                    log.info("warm-up: the first visit's programs are ready (%.1f s)", time.perf_counter() - started)
                self.done = done
        finally:
            # What the warm-up's runs allocated and freed goes back before the baseline is taken.
            gc.collect()
            release_freed_memory()
            self.baseline_mb = rss_mb()
            self.running = False


def _compile_net_lessons(chosen: list[str]) -> None:
    """The child process of :func:`_net_lessons_elsewhere` (``chosen``: "lesson/scene" names,
    all when empty): each network scene's programs into the compile cache, niced below the
    server it works for."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(OSError):
        os.nice(10)
    steps = [s for s in _net_lesson_steps() if not chosen or s.label.removeprefix("network lesson ").replace(", scene ", "/") in chosen]
    started = time.perf_counter()
    for i, step in enumerate(steps, 1):
        step.run()
        log.info("warm-up, network scenes %d/%d: %s (%.1f s)", i, len(steps), step.label, time.perf_counter() - started)


if __name__ == "__main__":
    _compile_net_lessons(sys.argv[1:])
