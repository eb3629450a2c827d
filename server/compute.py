"""Runs computations off the event loop, a bounded number at once, with a bounded queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class Busy(Exception):
    """Every worker is busy and the queue is full: the client should retry later."""

    retry_after_s = 1


class ComputeGate:
    """At most ``concurrency`` computations at once (JAX releases the GIL while XLA runs, so
    threads use the cores); at most ``queue`` callers wait; the rest are refused at once."""

    def __init__(self, concurrency: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="errorscape-compute")
        self._slots = asyncio.Semaphore(concurrency)
        self._capacity = concurrency + queue
        self.in_flight = 0  # running or waiting
        self.completed = 0  # computations finished since start

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.in_flight >= self._capacity:
            raise Busy
        self.in_flight += 1
        try:
            async with self._slots:
                yield
        finally:
            self.in_flight -= 1
            self.completed += 1

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a worker thread, holding a slot while it runs."""
        async with self.slot():
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
