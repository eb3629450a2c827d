"""Server settings, from ERRORSCAPE_* environment variables (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from errorscape.surfaces.compile_cache import DEFAULT_DIR
from errorscape.surfaces.limits import MAX_CONFIGS, MAX_GRID, MAX_GRID_SIDE, MAX_LAB_WORK, MAX_STARTS, MAX_STEPS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERRORSCAPE_", extra="ignore")

    # Sizes, each within the core's hard limit (surfaces/limits.py).  A run is starts × steps
    # × configurations point-steps.  GET /api/limits serves these; the OpenAPI schema states them.
    max_starts: int = Field(10_000, ge=1, le=MAX_STARTS)
    max_steps: int = Field(5_000, ge=1, le=MAX_STEPS)
    max_configs: int = Field(MAX_CONFIGS, ge=1, le=MAX_CONFIGS)
    max_point_steps: int = Field(50_000_000, ge=1)  # WebSocket runs
    max_rest_point_steps: int = Field(200_000, ge=1)  # POST /api/run answers in one JSON body
    max_grid: int = Field(400, ge=2, le=MAX_GRID_SIDE)  # GET /api/surfaces/{name}/grid, POST /api/custom
    max_basin_grid: int = Field(512, ge=2, le=MAX_GRID)
    max_basin_point_steps: int = Field(512 * 512 * 1000, ge=1)
    # The network lab: configurations × networks × steps × batch × parameters of one run.
    max_lab_work: int = Field(MAX_LAB_WORK, ge=1, le=MAX_LAB_WORK)
    max_body_bytes: int = Field(2_000_000, ge=1024)

    # Load.  At most `concurrency` computations run at once, in worker threads; up to
    # `queue` more wait; beyond that a request gets 503 with Retry-After.
    concurrency: int = Field(2, ge=1, le=64)
    queue: int = Field(128, ge=0, le=10_000)

    # WebSocket streams.  A client that does not take a frame within `ws_send_timeout_s` is
    # closed and its run dropped; a frame holds at most `ws_frame_bytes` (a chunk is split
    # along its steps), so a connection queues at most about one frame.  Connections are
    # capped in all and per client address.
    ws_send_timeout_s: float = Field(10.0, gt=0, le=600)
    ws_frame_bytes: int = Field(4_000_000, ge=65_536)
    # Behind a proxy or a school's NAT every client has the proxy's address: the per-client
    # cap must leave room for a class.
    max_connections: int = Field(512, ge=1)
    max_connections_per_client: int = Field(128, ge=1)

    # Who may talk to the server.  `bind_host` is the address it listens on (set by
    # `errorscape serve --host`).  Host headers: loopback names always; with a wildcard bind
    # also IP literals and this machine's name; and `allowed_hosts` (names a proxy or a
    # DNS record gives the server; "*" for any).  WebSocket origins: the page's own
    # (same host and port as the request) and `allowed_origins`.  Lists are JSON in the
    # environment: ERRORSCAPE_ALLOWED_HOSTS='["lab.example.org"]'.
    bind_host: str = "127.0.0.1"
    allowed_hosts: list[str] = Field(default_factory=list)
    allowed_origins: list[str] = Field(default_factory=list)

    # Memory.  Past this much growth over its RSS once warmed up, an idle server drops the
    # compiled programs it holds (they reload from the compilation cache on next use).
    program_memory_mb: float = Field(128.0, ge=16)

    # Compilation.
    compile_cache_dir: Path | None = DEFAULT_DIR
    warmup: bool = True
    # The warm-up's last step: a child process compiles the network lab's lesson scenes into the
    # compile cache (a few minutes of one core here); off, they compile on their first visit.
    warmup_networks: bool = True
