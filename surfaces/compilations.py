"""Counts XLA compilations in this process, so tests and the server can see recompiles."""

from __future__ import annotations

import threading

from jax import monitoring

_BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_lock = threading.Lock()
_count = 0


def _listener(event: str, duration_secs: float, **kwargs: str | int) -> None:
    global _count
    if event == _BACKEND_COMPILE_EVENT:
        with _lock:
            _count += 1


monitoring.register_event_duration_secs_listener(_listener)


def compilation_count() -> int:
    """XLA backend compilations since the process imported ``surfaces``."""
    return _count
