"""The ``errorscape`` command."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from errorscape import __version__


def demo(steps: int) -> None:
    """Race the presets on the narrow valley and print where each ends: a first look at the engine."""
    from errorscape import surfaces

    presets = list(surfaces.PRESETS)
    configs = [surfaces.preset(name) for name in presets]
    start = time.perf_counter()
    result = surfaces.simulate("narrow_valley", configs, starts={"grid": 8}, steps=steps, surface_params={"noise": 0.0})
    elapsed = time.perf_counter() - start
    s = result.starts.shape[0]
    print(f"narrow_valley (kappa = 100), {s} starts x {steps} steps, {len(configs)} optimizers in {elapsed:.2f} s")
    print(f"{'optimizer':<10} {'median loss':>12} {'best loss':>12} {'diverged':>9}")
    for c, name in enumerate(presets):
        final = result.loss[c, -1]
        finite = final[np.isfinite(final)]
        median = f"{np.median(finite):12.4g}" if finite.size else f"{'-':>12}"
        best = f"{finite.min():12.4g}" if finite.size else f"{'-':>12}"
        print(f"{name:<10} {median} {best} {int((result.diverged_at[c] >= 0).sum()):>9}")


def serve(host: str, port: int, workers: int, open_browser: bool) -> None:
    import threading
    import webbrowser

    import uvicorn

    from errorscape.server.settings import Settings

    settings = Settings()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"errorscape: serving on {url} (Ctrl+C stops)", flush=True)
    if open_browser:
        threading.Timer(1.5, lambda: webbrowser.open(url)).start()
    uvicorn.run(
        "errorscape.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Room above the message limit, so that a message somewhat over it gets an error reply
        # naming the limit (server/routes/stream.py) instead of a bare close; far larger ones
        # are still cut off by the WebSocket layer.
        ws_max_size=4 * settings.max_body_bytes,
        # Frames are float32 arrays: deflate barely shrinks them and cost 90 % of the event
        # loop's time under a classroom's load.
        ws_per_message_deflate=False,
        log_level="info",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="errorscape", description="An interactive error-surface lab.")
    parser.add_argument("--version", action="version", version=f"errorscape {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="start the web server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1, help="processes; they share the compile cache")
    serve_parser.add_argument("--open", action="store_true", help="open the app in a browser")
    demo_parser = sub.add_parser("demo", help="run the optimizer presets on a surface and print a table")
    demo_parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args(argv)
    if args.command == "serve":
        if not 1 <= args.port <= 65535:
            parser.error("--port must be between 1 and 65535")
        if not 1 <= args.workers <= 64:
            parser.error("--workers must be between 1 and 64")
        serve(args.host, args.port, args.workers, args.open)
        return 0
    if args.command == "demo":
        if not 1 <= args.steps <= 100_000:
            parser.error("--steps must be between 1 and 100000")
        demo(args.steps)
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
