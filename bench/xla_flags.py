"""Process-wide XLA flags against the default, run by run: two worker processes, one started
with the flags in XLA_FLAGS and one without, take the same jobs in turn.

    python -m bench.xla_flags --flags=--xla_backend_extra_options=xla_cpu_use_multi_output_fusion
    python -m bench.xla_flags --flags=... --jobs adam:1000:final basin:512:sgd --rounds 5

A flag that only XLA_FLAGS can set (a backend option such as multi-output fusion) holds for
every program of the process, so it cannot be compared inside one process as bench.engine's
figures are; alternating the two processes job by job keeps a noisy machine's slow moments
on both sides.  A job is ``optimizer:starts:form`` (form ``full`` = simulate, ``final`` =
simulate_final; optimizer a preset, or ``general`` for Adam on the general program), Adam
on Rosenbrock, 1,000 steps; or ``basin:grid:preset`` for a basin map of Himmelblau, 500
steps; or ``nets:networks:steps`` for the network trainer (two hidden layers of 16 on
moons, Adam, the module's example).  The
first call of each job (its compile) is shown apart; the figure is the best of the rounds after it.  A
worker that dies (an XLA check failure aborts the process) is reported with its last words.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_JOBS = [
    "adam:1000:final",
    "adam:1000:full",
    "general:1000:final",
    "adam:10000:final",
    "adam:100000:final",
    "basin:512:sgd",
    "basin:512:adam",
]


def job(spec: str) -> Any:
    """The callable a worker runs for one job name."""
    from errorscape import nets, surfaces
    from errorscape.surfaces.basins import basin_map

    kind, size, form = spec.split(":")
    n = int(size)
    if kind == "basin":
        return lambda: basin_map("himmelblau", surfaces.preset(form), n, steps=500)
    if kind == "nets":
        task, model = nets.task("moons", n_train=512), nets.Model(hidden=(16, 16))
        return lambda: nets.train(task, model, "adam", networks=n, steps=int(form))
    starts = surfaces.random_starts(surfaces.get_surface("rosenbrock"), n, seed=0)
    optimizer = surfaces.preset("adam" if kind == "general" else kind, lr=0.01)
    if form == "final":
        specialise = False if kind == "general" else None  # None: the engine's own choice
        return lambda: surfaces.simulate_final("rosenbrock", optimizer, starts, 1000, specialise=specialise)
    return lambda: surfaces.simulate("rosenbrock", optimizer, starts, 1000)


def worker() -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        run = job(line.strip())
        start = time.perf_counter()
        run()
        print(json.dumps(time.perf_counter() - start), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flags", required=True, help="added to XLA_FLAGS in the second worker")
    parser.add_argument("--jobs", nargs="*", default=DEFAULT_JOBS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    # Both workers without the persistent cache: a flag changes the programs, not their cache keys' meaning.
    base = dict(os.environ, ERRORSCAPE_COMPILE_CACHE="0")
    envs = {"default": base, "flags": dict(base, XLA_FLAGS=f"{base.get('XLA_FLAGS', '')} {args.flags}".strip())}
    # A worker's stderr goes to a file: a pipe nobody reads would stop it once full.
    logs = {side: tempfile.TemporaryFile("w+") for side in envs}
    workers = {
        side: subprocess.Popen(
            [sys.executable, "-m", "bench.xla_flags", "--worker"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=logs[side],
            text=True,
            cwd=Path(__file__).resolve().parents[1],  # where `bench` is a package
        )
        for side, env in envs.items()
    }

    def ask(side: str, line: str | None) -> str | None:
        """The worker's answer to ``line`` (None: its greeting), or None if it died; then its last words are printed."""
        w = workers[side]
        assert w.stdin is not None and w.stdout is not None
        try:
            if line is not None:
                w.stdin.write(line + "\n")
                w.stdin.flush()
            answer = w.stdout.readline()
        except BrokenPipeError:
            answer = ""
        if answer:
            return answer
        w.wait()
        logs[side].seek(0)
        last = [text for text in logs[side].read().splitlines() if text.strip()][-3:]
        print(f"{line or 'start'}: the {side} worker died (exit {w.returncode}): {' | '.join(last)}")
        return None

    try:
        if any(ask(side, None) is None for side in workers):
            return 1
        first: dict[tuple[str, str], float] = {}
        best: dict[tuple[str, str], float] = {}
        print(f"flags: {args.flags}")
        print(f"{'job':<20} {'first (compile) default / flags':>32} {'best default':>13} {'best flags':>11} {'default / flags':>16}")
        for spec in args.jobs:
            for r in range(args.rounds + 1):
                for side in workers:
                    answer = ask(side, spec)
                    if answer is None:
                        return 1
                    took = json.loads(answer)
                    if r == 0:
                        first[spec, side] = took
                    else:
                        best[spec, side] = min(best.get((spec, side), took), took)
            d, f = best[spec, "default"], best[spec, "flags"]
            compile_times = f"{first[spec, 'default']:.2f} / {first[spec, 'flags']:.2f} s"
            print(f"{spec:<20} {compile_times:>32} {d * 1e3:>10.1f} ms {f * 1e3:>8.1f} ms {d / f:>15.2f}x", flush=True)
        return 0
    finally:
        for w in workers.values():
            if w.poll() is None:
                w.kill()
                w.wait()
        for log in logs.values():
            log.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        raise SystemExit(main())
