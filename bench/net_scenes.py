"""The network lab's lesson scenes as a class meets them: for each scene, what the page asks when
it opens (the run, then the picked network's picture, plane, line to another network and
Hessian, and the homework's figure on its chart), timed the first time (compiling included)
and again (the same shapes, another seed: nothing compiles), with the programs each part
compiled or loaded from the compile cache.

    python -m bench.net_scenes                                # this process compiles everything
    python -m bench.net_scenes --cache DIR                    # programs from a compile cache
    python -m errorscape.server.warmup && python -m bench.net_scenes --cache ~/.cache/errorscape/jax
    python -m bench.net_scenes net-batch-norm/plain           # some scenes only ("lesson/scene")

Without --cache the persistent compilation cache is off, so "first" is a first visit on a
server that has not warmed the scene up.  First minus again is the time compiling costs.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import time
from collections.abc import Callable
from typing import Any


def visit(spec: Any, scene: dict[str, Any]) -> dict[str, tuple[float, int, int]]:
    """Each part's (seconds, programs compiled, programs loaded from the cache): the run, then
    what the page asks about it (nets_lab.page_questions)."""
    from errorscape.server import nets_lab
    from errorscape.surfaces.compilations import cache_hit_count, compilation_count

    out = {}

    def timed(name: str, part: Callable[[], Any]) -> Any:
        c, h, t = compilation_count(), cache_hit_count(), time.perf_counter()
        result = part()
        out[name] = (time.perf_counter() - t, compilation_count() - c, cache_hit_count() - h)
        return result

    args, run = timed("train", lambda: nets_lab.lab_run(spec))
    for name, ask in nets_lab.page_questions(args, scene["chart"], scene["lab"]["plane"]):
        timed(name, functools.partial(ask, args, run))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenes", nargs="*", help="lesson/scene names (default: every network scene)")
    parser.add_argument("--cache", help="a compile cache folder to load programs from (default: no cache)")
    args = parser.parse_args(argv)
    # Read when errorscape is imported, so only when this runs as a script (python -m).
    os.environ["ERRORSCAPE_COMPILE_CACHE"] = "1" if args.cache else "0"
    if args.cache:
        os.environ["ERRORSCAPE_COMPILE_CACHE_DIR"] = os.path.expanduser(args.cache)

    from errorscape.server.net_lessons import NET_LESSONS, lab_spec

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; programs from {'the cache ' + args.cache if args.cache else 'compiling'}"
    )
    total_first = total_again = 0.0
    for lesson in NET_LESSONS:
        for scene in lesson["scenes"]:
            name = f"{lesson['id']}/{scene['id']}"
            if args.scenes and name not in args.scenes:
                continue
            spec = lab_spec(scene["lab"])
            first = visit(spec, scene)
            again = visit(spec.model_copy(update={"seed": spec.seed + 1}), scene)
            s1, s2 = sum(v[0] for v in first.values()), sum(v[0] for v in again.values())
            total_first, total_again = total_first + s1, total_again + s2
            detail = ", ".join(f"{k} {first[k][0]:.1f}/{again[k][0]:.1f} s ({first[k][1]} compiled, {first[k][2]} loaded)" for k in first)
            print(f"{name}: first {s1:.1f} s, again {s2:.1f} s | {detail}", flush=True)
    print(f"total: first {total_first:.1f} s, again {total_again:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
