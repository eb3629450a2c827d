"""Counts XLA compilations in this process, so tests and the server can see recompiles."""

from __future__ import annotations

import threading

from jax import monitoring

# JAX times every executable it obtains under the first event, whether XLA compiled it or the
# persistent compilation cache supplied it; the second event counts the cache's hits.
_BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_CACHE_HIT_EVENT = "/jax/compilation_cache/cache_hits"
_lock = threading.Lock()
_obtained = 0
_cache_hits = 0


def _on_duration(event: str, duration_secs: float, **kwargs: str | int) -> None:
    global _obtained
    if event == _BACKEND_COMPILE_EVENT:
        with _lock:
            _obtained += 1


def _on_event(event: str, **kwargs: str | int) -> None:
    global _cache_hits
    if event == _CACHE_HIT_EVENT:
        with _lock:
            _cache_hits += 1


monitoring.register_event_duration_secs_listener(_on_duration)
monitoring.register_event_listener(_on_event)


def compilation_count() -> int:
    """XLA compilations since the process imported ``surfaces`` (persistent-cache hits excluded)."""
    return _obtained - _cache_hits


def cache_hit_count() -> int:
    """Executables loaded from JAX's persistent compilation cache instead of compiled."""
    return _cache_hits
