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
import sys
import warnings

FLAG = "--xla_cpu_max_isa=AVX"


def cap_cpu_instruction_set() -> None:
    if platform.machine().lower() not in ("x86_64", "amd64") or os.environ.get("ERRORSCAPE_CPU_FMA") == "1":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_max_isa" in flags:
        return
    os.environ["XLA_FLAGS"] = f"{flags} {FLAG}".strip()
    if _backend_started():
        warnings.warn(
            "errorscape was imported after JAX had started its CPU backend, so the AVX cap that makes "
            "runs bit-for-bit reproducible cannot apply in this process (import errorscape first, or set "
            f"XLA_FLAGS={FLAG} before starting Python; ERRORSCAPE_CPU_FMA=1 silences this)",
            RuntimeWarning,
            stacklevel=3,
        )


def _backend_started() -> bool:
    """Whether JAX has already made its backends (then XLA_FLAGS is read and fixed)."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", None))
    except Exception:
        return False
