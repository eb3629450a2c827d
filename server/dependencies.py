"""What a route needs from the running app, as FastAPI dependencies: the app's settings and its
compute gate.  Routes name these instead of reaching into ``request.app.state``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from errorscape.server.compute import ComputeGate
from errorscape.server.settings import Settings


def app_settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


def compute_gate(conn: HTTPConnection) -> ComputeGate:
    # The gate is made anew at each start-up (app.py's lifespan): read it per request.
    return conn.app.state.gate


SettingsDep = Annotated[Settings, Depends(app_settings)]
GateDep = Annotated[ComputeGate, Depends(compute_gate)]
