"""The FastAPI application: routes, limits, security headers, start-up compilation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from errorscape import __version__, surfaces
from errorscape.server import errors
from errorscape.server.access import TRANSPORT_KEY, ConnectionCount, host_allowed
from errorscape.server.compute import ComputeGate
from errorscape.server.memory import trim_after_work
from errorscape.server.requests import TooLarge
from errorscape.server.routes import analyze, basin, custom, health, lessons, limits, nets, optimizers, run, stream, timing
from errorscape.server.routes import surfaces as surfaces_route
from errorscape.server.settings import Settings
from errorscape.server.static_files import plotly_js, static_dir
from errorscape.server.warmup import WarmUp
from errorscape.surfaces import compile_cache

log = logging.getLogger("errorscape")

# Only the app's own origin: no CDN, no inline script, no eval.  Plotly sets inline styles.
# The app uses none of Plotly's regl traces (scattergl and kin build their draw calls with
# `new Function`, which this policy refuses): the runs are painted on a canvas of its own.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class Guard:
    """Pure ASGI middleware: refuses requests to a host name the server does not answer to
    (DNS rebinding), refuses bodies over the limit with 413 (whether or not they declare a
    length) and adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.max_body_bytes = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        if not host_allowed(host, self.settings):
            await self._unknown_host(scope, receive, send)
            return
        if scope["type"] != "http":
            scope[TRANSPORT_KEY] = getattr(getattr(send, "__self__", None), "transport", None)
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._too_large(send_with_headers)
            return
        body: list[Message] = []
        total = 0
        while True:
            message = await receive()
            body.append(message)
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > self.max_body_bytes:
                await self._too_large(send_with_headers)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return body.pop(0) if body else await receive()

        await self.app(scope, replay, send_with_headers)

    async def _unknown_host(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # the connect message; closing before accepting answers 403
            await send({"type": "websocket.close", "code": 1008, "reason": "unknown host"})
            return
        payload = json.dumps(
            {"detail": "this server does not answer to that host name (ERRORSCAPE_ALLOWED_HOSTS lists more names)"}
        ).encode()
        headers = [(b"content-type", b"application/json"), *SECURITY_HEADERS]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _too_large(self, send: Send) -> None:
        payload = json.dumps({"detail": f"request body too large: at most {self.max_body_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})


def enable_compile_cache(settings: Settings) -> None:
    if settings.compile_cache_dir is not None:
        compile_cache.enable(settings.compile_cache_dir)


def _openapi_with_limits(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The OpenAPI schema with every bound that a setting lowers (marked ``x-limit``) stated as
    the value in force here: what the schema publishes is what the server enforces."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)

        def visit(node: Any) -> None:
            if isinstance(node, dict):
                name = node.get("x-limit")
                if isinstance(name, str):
                    value = getattr(settings, name)
                    key = "maxItems" if "maxItems" in node else "maximum"
                    node[key] = min(node.get(key, value), value)
                for child in node.values():
                    visit(child)
            elif isinstance(node, list):
                for child in node:
                    visit(child)

        visit(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A fresh gate per start-up: an app may be started and stopped more than once (tests).
        app.state.gate = ComputeGate(settings.concurrency, settings.queue)
        enable_compile_cache(settings)
        app.state.warmup = WarmUp(settings.warmup_networks)
        warmup = app.state.warmup
        if settings.warmup:
            warmup.start()  # after the port opens: the page loads meanwhile
        else:
            warmup.mark_baseline()
        gate = app.state.gate
        trimming = asyncio.create_task(
            trim_after_work(
                lambda: gate.in_flight + int(warmup.running),
                lambda: gate.completed,
                settings.program_memory_mb,
                lambda: warmup.baseline_mb,
            )
        )
        yield
        trimming.cancel()
        app.state.warmup.stop()
        app.state.gate.shutdown()

    # No /docs or /redoc: their pages load scripts from a CDN, which the policy above forbids.
    app = FastAPI(title="errorscape", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.gate = ComputeGate(settings.concurrency, settings.queue)
    app.state.compilations_at_start = surfaces.compilation_count()
    app.state.warmup = WarmUp()  # not started: see lifespan
    app.state.connections = ConnectionCount(settings.max_connections, settings.max_connections_per_client)
    app.state.timing = timing.TimingCache()  # GET /api/timing's figures, measured on its first request
    errors.install(app)

    @app.exception_handler(TooLarge)
    async def on_too_large(request: Any, exc: TooLarge) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=413)

    for module in (health, limits, surfaces_route, custom, optimizers, run, analyze, basin, lessons, timing, stream, nets):
        app.include_router(module.router)
    app.openapi = lambda: _openapi_with_limits(app, settings)  # type: ignore[method-assign]

    plotly_path = plotly_js()

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_bundle() -> FileResponse:
        return FileResponse(plotly_path, media_type="text/javascript", headers={"cache-control": "public, max-age=86400"})

    # The browser app last: every path no route claimed is a file of static/.
    app.mount("/", StaticFiles(directory=static_dir(), html=True), name="static")
    app.add_middleware(Guard, settings=settings)
    return app
