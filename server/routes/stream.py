"""WebSocket ``/ws/run``: a run streamed as binary frames, chunk by chunk.

Client → server (JSON text): ``{"type": "run", ...the fields of POST /api/run}`` starts a run
and supersedes the one in flight (which stops after its current chunk);
``{"type": "cancel"}`` stops it.  Server → client: ``start`` (JSON: run id, shapes, chunk
size, frame layout), binary frames (see ``server.serialize``), then ``done`` (JSON) — or
``cancelled`` / ``error``.  A bad message gets ``{"type": "error", "detail": ...}`` and the
connection stays usable; closing the connection cancels the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, WebSocket

from errorscape import surfaces
from errorscape.server.access import TRANSPORT_KEY, ConnectionCount, origin_allowed
from errorscape.server.compute import Busy, ComputeGate
from errorscape.server.dependencies import SettingsDep, compute_gate
from errorscape.server.errors import error_detail
from errorscape.server.models import RunRequest
from errorscape.server.requests import TooLarge, run_arguments
from errorscape.server.serialize import FRAME_LAYOUT, finite_list, pack_frames
from errorscape.server.settings import Settings
from errorscape.surfaces.basins import end_minima, is_global
from errorscape.surfaces.critical import KINDS, minimum_ratio, point_kinds
from errorscape.surfaces.engine import CHUNK_STEPS, Chunk

router = APIRouter(tags=["stream"])
log = logging.getLogger("errorscape")


END_KINDS = [*KINDS, "diverged"]


class RunMessage(RunRequest):
    type: Literal["run"]


class ClientTooSlow(Exception):
    """The client did not take a frame in time: the connection is closed and the run dropped."""


class StreamSession:
    def __init__(self, ws: WebSocket, settings: Settings, gate: Callable[[], ComputeGate]) -> None:
        self.ws = ws
        self.settings = settings
        self.gate = gate  # read per run: the app makes a fresh gate at each start-up
        self.run_id = 0
        self.task: asyncio.Task[None] | None = None
        self.cancel = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.open = True
        self.closing: asyncio.Task[None] | None = None

    async def _send(self, message: Any) -> None:
        if not self.open:
            return
        async with self.send_lock:
            try:
                # A client that never reads would hold the frame (and the run behind it) for as
                # long as the socket stays open; one that has not taken a frame within the
                # timeout is let go.
                await asyncio.wait_for(self.ws.send(message), self.settings.ws_send_timeout_s)
            except TimeoutError:
                self.open = False
                self.cancel.set()
                self.closing = asyncio.create_task(self._close_slow_client())
                raise ClientTooSlow from None

    async def send_json(self, message: dict[str, Any]) -> None:
        await self._send({"type": "websocket.send", "text": json.dumps(message, allow_nan=False)})

    async def send_bytes(self, data: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": data})

    async def error(self, detail: Any, **extra: Any) -> None:
        await self.send_json({"type": "error", "detail": detail, **extra})

    async def serve(self) -> None:
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    await self.error("binary messages are not accepted: send JSON text")
                    continue
                await self.handle(text)
        except ClientTooSlow:
            pass  # closing (see _send); the disconnect ends this loop's successor, nothing to do here
        finally:
            self.open = False
            await self.stop()

    async def _close_slow_client(self) -> None:
        # A close frame would queue behind the unread data, and the server's WebSocket layer
        # waits for the buffer to drain before it sends anything: a client that never reads
        # would hold the connection, and its buffered frame, for good.  So the connection is
        # dropped at the transport; where no transport is reachable, it is closed politely.
        if not _abort_transport(self.ws):
            with contextlib.suppress(Exception):
                await self.ws.close(code=1008, reason="the client did not read in time; its run was dropped")

    async def handle(self, text: str) -> None:
        if len(text) > self.settings.max_body_bytes:
            await self.error(f"message too large: at most {self.settings.max_body_bytes} bytes")
            return
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            await self.error("malformed JSON")
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "cancel":
            if self.task is not None and not self.task.done():
                await self.stop()
                await self.send_json({"type": "cancelled", "run": self.run_id})
            return
        if kind != self.start_type:
            await self.error(f'expected a JSON object with "type": "{self.start_type}" or "cancel"')
            return
        try:
            kwargs = self.arguments(text)
        except TooLarge as err:
            await self.error(err.detail)
            return
        except ValueError as err:  # pydantic's ValidationError, FieldError and FormulaError are ValueErrors
            await self.error(error_detail(err))
            return
        await self.stop()
        self.run_id += 1
        self.cancel = asyncio.Event()
        self.task = asyncio.create_task(self.guarded(self.run_id, kwargs, self.cancel))

    start_type = "run"  # the message type that starts work on this socket

    def arguments(self, text: str) -> Any:
        """The work a start message asks for, checked (raises ValueError or TooLarge)."""
        req = RunMessage.model_validate_json(text)
        return run_arguments(req, self.settings, self.settings.max_point_steps, "")

    async def stop(self) -> None:
        """Stop the run in flight after its current chunk, and wait until it has."""
        self.cancel.set()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task
            self.task = None

    async def guarded(self, run_id: int, kwargs: Any, cancel: asyncio.Event) -> None:
        """Runs :meth:`stream`; whatever goes wrong becomes an error message to this client,
        never a dead server."""
        try:
            await self.stream(run_id, kwargs, cancel)
        except ClientTooSlow:
            log.info("run %s: the client did not read for %.0f s; closed", run_id, self.settings.ws_send_timeout_s)
        except Busy:
            await self.error("the server is busy; retry shortly", run=run_id, retry_after=Busy.retry_after_s)
        except ValueError as err:
            await self.error(error_detail(err), run=run_id)
        except Exception:  # a closed socket mid-send, or a bug: never take the server down
            if self.open:
                log.exception("run %s failed", run_id)
                with contextlib.suppress(Exception):
                    await self.error("internal error", run=run_id)

    async def stream(self, run_id: int, kwargs: Any, cancel: asyncio.Event) -> None:
        gate = self.gate()
        compiled_before = surfaces.compilation_count()
        compute_s = 0.0
        chunks: Iterator[Chunk] = await gate.run(lambda: surfaces.simulate_chunks(**kwargs, copy=False))
        last: np.ndarray | None = None  # diverged_at as of the last frame
        end: np.ndarray | None = None  # the newest positions, (C, S, 2)
        while not cancel.is_set():
            started = time.perf_counter()
            # Computed and packed in the worker: the chunk's arrays are views that the
            # next chunk overwrites, and packing is the one copy the frame needs.
            packed = await gate.run(lambda: _next_frames(chunks, run_id, self.settings.ws_frame_bytes))
            compute_s += time.perf_counter() - started
            if packed is None or cancel.is_set():
                # Superseded while computing: the new run's frames, not this one's, come next.
                break
            frames, shape, has_test, diverged_at, end = packed
            if last is None:
                _, c, s, _ = shape
                await self.send_json(
                    {
                        "type": "start",
                        "run": run_id,
                        "configs": c,
                        "starts": s,
                        "steps": kwargs["steps"],
                        "chunk_steps": CHUNK_STEPS,
                        "has_test_set": has_test,
                        "layout": FRAME_LAYOUT,
                    }
                )
            for frame in frames:
                await self.send_bytes(frame)
            last = diverged_at
        if cancel.is_set() or last is None or end is None:
            return
        ratios, kind_counts, minima = await gate.run(lambda: end_point_summary(kwargs, end))
        await self.send_json(
            {
                "type": "done",
                "run": run_id,
                "diverged": int((last >= 0).sum()),
                "diverged_at": last.tolist(),
                "minimum_ratio": ratios,
                "end_kinds": END_KINDS,
                "end_kind_counts": kind_counts,
                "minima": minima,
                "compute_ms": round(compute_s * 1000.0, 3),
                "compiled": surfaces.compilation_count() > compiled_before,
            }
        )


def _abort_transport(ws: WebSocket) -> bool:
    """Drop the connection under ``ws`` at once, where the server put its transport in reach
    (app.py's Guard records uvicorn's, see TRANSPORT_KEY)."""
    transport = ws.scope.get(TRANSPORT_KEY)
    if transport is None or not hasattr(transport, "abort"):
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0: the kernel resets the connection and drops the unsent data too, instead of
        # keeping it (and the connection) for a peer whose window stays shut.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


def _next_frames(
    chunks: Iterator[Chunk], run_id: int, max_bytes: int
) -> tuple[list[bytes], tuple[int, ...], bool, np.ndarray, np.ndarray] | None:
    """The next chunk's frames (at most ``max_bytes`` each, split along steps) and what the
    messages need of it, keeping no view of the chunk's buffers (a live view would stop the
    engine reusing them)."""
    chunk = next(chunks, None)
    if chunk is None:
        return None
    end = np.array(chunk.positions[-1], dtype=np.float32)
    return pack_frames(run_id, chunk, max_bytes), chunk.positions.shape, chunk.test_loss is not None, chunk.diverged_at.copy(), end


def end_point_summary(kwargs: dict[str, Any], end: np.ndarray) -> tuple[list[list[float | None]], list[list[int]], list[dict[str, Any]]]:
    """At every end point: the lecture's minimum ratio (share of positive Hessian eigenvalues),
    [C][S], null where a start diverged; per configuration how many end points get each
    verdict (END_KINDS: the Hessian panel's verdicts, then diverged); and the surface's known
    minima, lowest loss first, with how many end points of each configuration reached each.
    A ratio says something only where the gradient vanishes and no eigenvalue is 0: the
    verdicts say where that is."""
    c, s, _ = end.shape
    flat = end.reshape(c * s, 2)
    ratios = minimum_ratio(kwargs["surface"], flat, kwargs["surface_params"]).reshape(c, s)
    kinds = point_kinds(kwargs["surface"], flat, kwargs["surface_params"]).reshape(c, s)
    counts = [[int((row == k).sum()) for k in range(len(KINDS))] + [int((row < 0).sum())] for row in kinds]
    found = [
        (m, reached) for m, reached in end_minima(kwargs["surface"], end, kwargs["surface_params"], kinds=kinds) if np.isfinite(m.loss)
    ]
    points = [m for m, _ in found]
    minima = [
        {"point": [float(v) for v in m.point], "loss": float(m.loss), "global": is_global(points, i), "counts": reached}
        for i, (m, reached) in enumerate(found)
    ]
    return [finite_list(row) for row in ratios], counts, minima


@router.websocket("/ws/run")
async def ws_run(ws: WebSocket, settings: SettingsDep) -> None:
    await serve_socket(ws, settings, StreamSession)


async def serve_socket(ws: WebSocket, settings: Settings, session: type[StreamSession]) -> None:
    """Admits a WebSocket (its origin, the connection limits) and serves it with ``session``."""
    if not origin_allowed(ws.headers.get("origin"), ws.headers.get("host"), settings):
        # Before accepting: the handshake is answered 403, and no page of another origin can
        # drive this server (a local server is reachable from any page the browser shows).
        await ws.close(code=1008, reason="origin not allowed")
        return
    connections: ConnectionCount = ws.app.state.connections
    client = ws.client.host if ws.client else "unknown"
    refused = connections.admit(client)
    await ws.accept()
    if refused is not None:
        await ws.close(code=1013, reason=refused)
        return
    try:
        await session(ws, settings, lambda: compute_gate(ws)).serve()
    finally:
        connections.release(client)
