"""The ``errorscape`` command."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
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


def _listening_socket(host: str, port: int) -> socket.socket:
    """The port, bound now: a busy port is reported at once, before anything else starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise SystemExit(
            f"errorscape: cannot listen on {host}:{port}: {err.strerror or err} (is another server using the port? try --port)"
        ) from None
    return sock


def _addresses(host: str, port: int) -> list[str]:
    """The URLs a wildcard bind answers on: loopback and this machine's own addresses."""
    found = {"127.0.0.1"}
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    return [f"http://{a}:{port}/" for a in sorted(found)]


def _open_when_ready(url: str) -> None:
    """Open the browser once the page answers (not on a port that is not listening yet)."""
    import urllib.request
    import webbrowser

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "api/health", timeout=2):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.2)


def _log_config() -> dict:
    """uvicorn's logging, with errorscape's own logger (warm-up progress) shown beside it."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["errorscape"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(host: str, port: int, workers: int, open_browser: bool) -> None:
    import threading

    import uvicorn

    from errorscape.server.settings import Settings

    sock = _listening_socket(host, port)
    # The app checks Host headers against the address it listens on (server/access.py).
    os.environ["ERRORSCAPE_BIND_HOST"] = host
    settings = Settings()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    if host in ("0.0.0.0", "::"):
        print(f"errorscape: listening on every interface, port {port}: reachable from the network at", flush=True)
        for address in _addresses(host, port):
            print(f"  {address}", flush=True)
    print(f"errorscape: serving on {url} (Ctrl+C stops); programs compile in the background, progress below", flush=True)
    if open_browser:
        threading.Thread(target=_open_when_ready, args=(url,), daemon=True).start()
    config = uvicorn.Config(
        "errorscape.server.app:create_app",
        factory=True,
        workers=workers,
        ws_max_size=4 * settings.max_body_bytes,
        # Frames are float32 arrays: deflate barely shrinks them and cost 90 % of the event
        # loop's time under a classroom's load.
        ws_per_message_deflate=False,
        log_level="info",
        log_config=_log_config(),
    )
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def warmup_cache() -> None:
    """Compile every warm-up program into the persistent compilation cache (for images)."""
    import logging

    from errorscape.server.app import enable_compile_cache
    from errorscape.server.settings import Settings
    from errorscape.server.warmup import plan

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings()
    if settings.compile_cache_dir is None:
        raise SystemExit("errorscape: no compile cache folder (ERRORSCAPE_COMPILE_CACHE_DIR)")
    enable_compile_cache(settings)
    steps, _ = plan(networks=settings.warmup_networks)
    started = time.perf_counter()
    for i, step in enumerate(steps, 1):
        step.run()
        print(f"warm-up {i}/{len(steps)}: {step.label} ({time.perf_counter() - started:.1f} s)", flush=True)
    print(f"errorscape: {len(steps)} programs compiled into {settings.compile_cache_dir}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="errorscape", description="An interactive error-surface lab.")
    parser.add_argument("--version", action="version", version=f"errorscape {__version__}")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="start the web server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1, help="processes; they share the compile cache")
    serve_parser.add_argument("--open", action="store_true", help="open the app in a browser")
    sub.add_parser("warmup", help="compile the programs pages use into the compile cache (for container images)")
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
    if args.command == "warmup":
        warmup_cache()
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
