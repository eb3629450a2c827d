"""Giving memory back to the system: freed heap pages, and compiled programs past a budget.

A run allocates its buffers (up to a few hundred MB for the largest) and frees them when it
ends; glibc keeps much of what was freed for reuse (its mmap threshold rises to the size of
the largest block freed), so a server's RSS would stay at the high-water mark of its busiest
minute.  After a spell of work the server asks glibc to return free pages (malloc_trim), so
RSS follows what is in use.  Elsewhere (no glibc) this does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import os
from collections.abc import Callable

_TRIM: Callable[[int], int] | None = None
with contextlib.suppress(OSError, AttributeError):
    _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim


def release_freed_memory() -> bool:
    """Return free heap pages to the system; True if that was possible here."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def rss_mb() -> float | None:
    """This process's resident memory, where /proc says (Linux)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def drop_compiled_programs() -> None:
    from errorscape.surfaces.kernels import clear_compiled

    clear_compiled()  # the engine's kernel caches and JAX's own (jax.clear_caches)
    gc.collect()
    release_freed_memory()


async def trim_after_work(
    busy: Callable[[], int],
    work_done: Callable[[], int],
    budget_mb: float,
    baseline: Callable[[], float | None],
    period_s: float = 5.0,
    trim: Callable[[], object] | None = None,
    drop: Callable[[], object] | None = None,
) -> None:
    """Every ``period_s``, once work has been done since the last look and nothing is running:
    trim the heap (in a thread: it walks the heap); then, if the process is still more than
    ``budget_mb`` over ``baseline()`` (its RSS once warmed up), drop the compiled programs.
    ``trim`` and ``drop`` stand in for release_freed_memory and drop_compiled_programs (a
    caller watching one loop sees that loop's calls only, whatever other servers run)."""
    trim = trim or release_freed_memory
    drop = drop or drop_compiled_programs
    last = work_done()
    while True:
        await asyncio.sleep(period_s)
        done = work_done()
        if done == last or busy() != 0:
            continue
        last = done
        await asyncio.to_thread(trim)
        base, now = baseline(), rss_mb()
        if base is not None and now is not None and now - base > budget_mb and busy() == 0:
            await asyncio.to_thread(drop)
