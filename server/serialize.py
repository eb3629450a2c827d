"""NumPy results to what goes on the wire: JSON with null for non-finite numbers (JSON has
no NaN), and the binary frames of the WebSocket stream."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import numpy as np
from fastapi.responses import Response
from pydantic import BaseModel

from errorscape.surfaces.engine import Chunk


def finite_list(values: Any) -> Any:
    """Nested lists of floats, with None wherever a value is NaN or ±Infinity."""
    a = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    out = a.astype(object)
    out[~finite] = None
    return out.tolist()


def model_response(model: type[BaseModel], data: Mapping[str, Any] | BaseModel) -> Response:
    """An answer validated against its route's response model and encoded to JSON.  Callers run
    this in a compute thread: a large answer (a 16 MB run) then never holds up the event loop,
    and it is still checked against the schema the route publishes."""
    checked = data if isinstance(data, model) else model.model_validate(data)
    return Response(checked.model_dump_json(), media_type="application/json")


def finite_float(value: Any) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


# Binary frame: a 16-byte little-endian header, then float32 little-endian arrays, each
# time-major: positions [n, C, S, 2], loss [n, C, S], grad_norm [n, C, S] and, for surfaces
# with a test set, test_loss [n, C, S].  A diverged start's entries are NaN from its
# diverged_at step on (the browser reads NaN from a Float32Array like any number); the
# `done` message lists diverged_at.
FRAME_MAGIC = b"ESF1"
FRAME_HEADER = struct.Struct("<4sIII")  # magic, run id, first step t0, number of steps n
FRAME_LAYOUT = {
    "endianness": "little",
    "header": {"bytes": FRAME_HEADER.size, "fields": ["magic 'ESF1' (4 bytes)", "run (uint32)", "t0 (uint32)", "n (uint32)"]},
    "arrays": [
        {"name": "positions", "dtype": "float32", "shape": ["n", "C", "S", 2]},
        {"name": "loss", "dtype": "float32", "shape": ["n", "C", "S"]},
        {"name": "grad_norm", "dtype": "float32", "shape": ["n", "C", "S"]},
        {"name": "test_loss", "dtype": "float32", "shape": ["n", "C", "S"], "only_if": "has_test_set"},
    ],
    "non_finite": "NaN marks a diverged start from its diverged_at step on; no other value is non-finite",
}


def pack_frames(run_id: int, chunk: Chunk, max_bytes: int) -> list[bytes]:
    """The chunk as frames of whole steps, each at most ``max_bytes`` (one step at least): a
    connection then queues about one bounded frame, however large the run."""
    arrays = [chunk.positions, chunk.loss, chunk.grad_norm]
    if chunk.test_loss is not None:
        arrays.append(chunk.test_loss)
    n = chunk.t1 - chunk.t0
    step_bytes = sum(a[0].size for a in arrays) * 4
    per_frame = max(1, (max_bytes - FRAME_HEADER.size) // max(1, step_bytes))
    frames = []
    for i in range(0, n, per_frame):
        k = min(per_frame, n - i)
        parts = [FRAME_HEADER.pack(FRAME_MAGIC, run_id, chunk.t0 + i, k)]
        parts.extend(np.ascontiguousarray(a[i : i + k], dtype="<f4").tobytes() for a in arrays)
        frames.append(b"".join(parts))
    return frames
