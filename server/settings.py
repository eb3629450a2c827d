"""Server settings, from ERRORSCAPE_* environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERRORSCAPE_", extra="ignore")

    # Sizes.  A run is starts × steps × configurations point-steps.
    max_starts: int = Field(10_000, ge=1, le=1 << 20)
    max_steps: int = Field(5_000, ge=1, le=100_000)
    max_configs: int = Field(8, ge=1, le=8)
    max_point_steps: int = Field(50_000_000, ge=1)  # WebSocket runs
    max_rest_point_steps: int = Field(200_000, ge=1)  # POST /api/run answers in one JSON body
    max_grid: int = Field(400, ge=2, le=512)  # GET /api/surfaces/{name}/grid
    max_basin_grid: int = Field(512, ge=2, le=2048)
    max_basin_point_steps: int = Field(512 * 512 * 1000, ge=1)
    max_body_bytes: int = Field(2_000_000, ge=1024)

    # Load.  At most `concurrency` computations run at once, in worker threads; up to
    # `queue` more wait; beyond that a request gets 503 with Retry-After.
    concurrency: int = Field(2, ge=1, le=64)
    queue: int = Field(128, ge=0, le=10_000)

    # Compilation.
    compile_cache_dir: Path | None = Path.home() / ".cache" / "errorscape" / "jax"
    warmup: bool = True


def get_settings() -> Settings:
    return Settings()
