"""Strict JAX for every test: an implicit rank promotion is a bug, not a convenience.  And the
in-process app the API tests share (one per test module)."""

import os

# The suite's own process keeps no persistent compilation cache: compile counts in tests must
# not depend on what an earlier run left (tests that need the cache give it a folder).
os.environ.setdefault("ERRORSCAPE_COMPILE_CACHE", "0")

import jax
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from errorscape.server.app import create_app
from errorscape.server.settings import Settings

jax.config.update("jax_numpy_rank_promotion", "raise")

# JAX compiles on first use: a per-example deadline would time compilations, not the code.
settings.register_profile("errorscape", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("errorscape")


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(warmup=False, compile_cache_dir=None, allowed_hosts=["testserver"]))
    with TestClient(app) as c:
        yield c
