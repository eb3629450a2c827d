"""JAX's persistent compilation cache, on by default wherever errorscape is imported: a second
process (a notebook restarted, a server started again) loads the programs an earlier one
compiled instead of compiling them again.

``ERRORSCAPE_COMPILE_CACHE_DIR`` moves the folder (default ``~/.cache/errorscape/jax``, shared
by the server and the notebook API); ``ERRORSCAPE_COMPILE_CACHE=0`` turns the cache off for the
Python API (the server follows its own setting).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import jax

log = logging.getLogger("errorscape")

DEFAULT_DIR = Path.home() / ".cache" / "errorscape" / "jax"


def enable(folder: Path) -> bool:
    """Cache every compiled program in ``folder`` (made if missing); False if it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        log.warning("compile cache disabled: %s", err)
        return False
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Every program, however quick to compile: the engine's are many and small.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return True


def enable_from_environment() -> Path | None:
    """The Python API's default: on, in the default or configured folder, unless turned off."""
    if os.environ.get("ERRORSCAPE_COMPILE_CACHE", "1").strip().lower() in ("0", "false", "off", "no"):
        return None
    configured = os.environ.get("ERRORSCAPE_COMPILE_CACHE_DIR", "").strip()
    folder = Path(configured).expanduser() if configured else DEFAULT_DIR
    return folder if enable(folder) else None
