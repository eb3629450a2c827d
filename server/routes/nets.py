"""The network lab: GET /api/nets (what it offers), POST /api/nets/field, /plane, /line, /hessian, /ratios (about
one network of a run) and WebSocket /ws/nets (a run streamed: progress, curves, Stop).

Over /ws/nets the client sends ``{"type": "train", ...the fields of LabSpec}`` (a new one
supersedes the run in flight) or ``{"type": "cancel"}``; the server answers ``start`` (the
task's points and the run's shape), ``frame`` messages (records [C][k][N] per measure), then
``done`` — or ``cancelled`` / ``error``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import Response

from errorscape.server.dependencies import GateDep, SettingsDep
from errorscape.server.models import ErrorResponse
from errorscape.server.nets_lab import (
    STORE,
    Collector,
    LabArgs,
    catalogue,
    choice_value,
    chunk_message,
    chunks,
    field_answer,
    hessian_answer,
    lab_args,
    line_answer,
    plane_answer,
    ratios_answer,
    run_key,
    task_points,
)
from errorscape.server.nets_models import FieldRequest, HessianRequest, LabSpec, LineRequest, PlaneRequest, TrainMessage
from errorscape.server.routes.stream import StreamSession, serve_socket

router = APIRouter(tags=["nets"])
log = logging.getLogger("errorscape")
ERRORS: dict[int | str, dict[str, Any]] = {413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


def _json(data: Any) -> Response:
    # allow_nan=False: a NaN that slipped past finite_list is a bug, never a response.
    return Response(json.dumps(data, allow_nan=False), media_type="application/json")


@router.get("/api/nets", description="The lab's tasks, the model's choices and fields, and the lab's limits.")
async def nets_catalogue(settings: SettingsDep) -> Response:
    body = catalogue()
    body["limits"]["max_work"] = settings.max_lab_work  # the bound in force on this server
    return _json(body)


@router.post(
    "/api/nets/field",
    responses=ERRORS,
    description="What the picked network predicts over the task's inputs: the class and its probability on a grid "
    "(2-D tasks), or the fitted curve (1-D).  The run is trained again if it is no longer kept.",
)
async def nets_field(req: FieldRequest, gate: GateDep, settings: SettingsDep) -> Response:
    lab_args(req.spec, settings.max_lab_work)  # refused before it queues
    return await gate.run(lambda: _json(field_answer(req.spec, req, req.grid)))


@router.post(
    "/api/nets/plane",
    responses=ERRORS,
    description="Training and test loss on a plane through the picked network (filter-normalised random, PCA of its "
    "path, or through the other configurations' networks), with its path and theirs projected.",
)
async def nets_plane(req: PlaneRequest, gate: GateDep, settings: SettingsDep) -> Response:
    lab_args(req.spec, settings.max_lab_work)
    return await gate.run(lambda: _json(plane_answer(req.spec, req, choice_value(req.kind), req.grid, req.span)))


@router.post(
    "/api/nets/line",
    responses=ERRORS,
    description="Training and test loss along the straight line from the picked network (α = 0) to `other` (α = 1), "
    "extended by half its length on both sides.",
)
async def nets_line(req: LineRequest, gate: GateDep, settings: SettingsDep) -> Response:
    lab_args(req.spec, settings.max_lab_work)
    return await gate.run(lambda: _json(line_answer(req.spec, req, req.other, req.n)))


@router.post(
    "/api/nets/ratios",
    responses=ERRORS,
    description="The minimum ratio (whole Hessian and per-layer blocks) against the training loss of the picked "
    "network's configuration's first 32 networks (null above 1,024 parameters per network).",
)
async def nets_ratios(req: HessianRequest, gate: GateDep, settings: SettingsDep) -> Response:
    lab_args(req.spec, settings.max_lab_work)
    return await gate.run(lambda: _json(ratios_answer(req.spec, req)))


@router.post(
    "/api/nets/hessian",
    responses=ERRORS,
    description="The picked network's Hessian spectrum, minimum ratio, flat share, λmax along its training, and the "
    "minimum ratio against training loss over its configuration's networks.",
)
async def nets_hessian(req: HessianRequest, gate: GateDep, settings: SettingsDep) -> Response:
    lab_args(req.spec, settings.max_lab_work)
    return await gate.run(lambda: _json(hessian_answer(req.spec, req)))


class NetsSession(StreamSession):
    start_type = "train"

    def arguments(self, text: str) -> Any:
        msg = TrainMessage.model_validate_json(text)
        spec = LabSpec.model_validate(msg.model_dump(exclude={"type"}))
        return spec, lab_args(spec, self.settings.max_lab_work)

    async def stream(self, run_id: int, kwargs: Any, cancel: asyncio.Event) -> None:
        spec, args = kwargs
        assert isinstance(args, LabArgs)
        gate = self.gate()
        started = time.perf_counter()
        parts = await gate.run(lambda: chunks(args))
        collect = Collector(args)
        if cancel.is_set():
            return  # superseded or cancelled before it began: nothing of it is sent
        await self.send_json(
            {
                "type": "start",
                "run": run_id,
                "configs": len(args.optimizers),
                "networks": args.networks,
                "steps": args.steps,
                "record_every": args.record_every,
                "batch_size": args.batch_size,
                "params": args.model.size(args.task),
                "task": task_points(args.task),
            }
        )

        def step() -> dict[str, Any] | None:
            chunk = next(parts, None)
            if chunk is None:
                return None
            collect.add(chunk)
            return chunk_message(chunk, run_id)

        while not cancel.is_set():
            message = await gate.run(step)
            if message is None or cancel.is_set():
                break
            await self.send_json(message)
        if cancel.is_set() or collect.last is None:
            return
        run = collect.run()
        STORE.put(run_key(spec), run)
        diverged = collect.last.diverged_at
        await self.send_json(
            {
                "type": "done",
                "run": run_id,
                "diverged": int((diverged >= 0).sum()),
                "compute_ms": round((time.perf_counter() - started) * 1000.0, 3),
            }
        )


@router.websocket("/ws/nets")
async def ws_nets(ws: WebSocket, settings: SettingsDep) -> None:
    await serve_socket(ws, settings, NetsSession)
