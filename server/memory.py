"""Giving freed memory back to the system.

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


async def trim_after_work(busy: Callable[[], int], work_done: Callable[[], int], period_s: float = 5.0) -> None:
    """Every ``period_s``, once work has been done since the last trim and nothing is
    running, trim (in a thread: it walks the heap)."""
    last = work_done()
    while True:
        await asyncio.sleep(period_s)
        done = work_done()
        if done != last and busy() == 0:
            last = done
            await asyncio.to_thread(release_freed_memory)
