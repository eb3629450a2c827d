"""Bit-for-bit reproducible runs on the CPU.

XLA's CPU backend may fuse a multiply and an add into one FMA instruction, and whether it
does depends on how a program was fused and vectorised — which depends on array shapes and
on how many devices share the work.  Then adding a start (a new padding bucket) or a device
would change every other start's trajectory in the last bits, and a chaotic run visibly.
Capping the instruction set at AVX (256-bit vectors, no FMA) makes every elementwise
operation a single IEEE rounding wherever it runs, at about a fifth of the engine's speed
(bench/RESULTS.md).  The flag has to be in XLA_FLAGS before JAX starts its CPU backend, so
this runs when ``surfaces`` is imported; a value the user set is left alone, and
ERRORSCAPE_CPU_FMA=1 keeps the full instruction set (faster, reproducible only for the same
shapes on the same machine).
"""

from __future__ import annotations

import os
import platform

FLAG = "--xla_cpu_max_isa=AVX"


def cap_cpu_instruction_set() -> None:
    if platform.machine().lower() not in ("x86_64", "amd64") or os.environ.get("ERRORSCAPE_CPU_FMA") == "1":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_max_isa" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {FLAG}".strip()
