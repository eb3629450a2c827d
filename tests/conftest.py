"""Strict JAX for every test: an implicit rank promotion is a bug, not a convenience."""

import jax
from hypothesis import HealthCheck, settings

jax.config.update("jax_numpy_rank_promotion", "raise")

# JAX compiles on first use: a per-example deadline would time compilations, not the code.
settings.register_profile("errorscape", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("errorscape")
