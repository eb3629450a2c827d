"""Error answers: every failure is a 4xx (or 503 when busy) with a ``detail`` that names the
field and never echoes the rejected value back."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from errorscape.server.compute import Busy
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.formula import FormulaError

log = logging.getLogger("errorscape")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")


def _safe_loc(loc: Iterable[Any]) -> list[str | int]:
    """A location path without user text: identifiers and indices only (an unknown key that
    is not a plain identifier is shown as '<key>')."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(part)
        elif isinstance(part, str) and _NAME.match(part):
            out.append(part)
        else:
            out.append("<key>")
    return out


def validation_detail(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"loc": _safe_loc(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", "invalid"))} for e in errors
    ]


def field_detail(err: FieldError) -> list[dict[str, Any]]:
    """A core FieldError as a validation detail: the same shape as pydantic's (loc, msg, type).
    Its path is an argument of the request's body unless it names where else it is."""
    loc = err.loc if err.loc[:1] in (("body",), ("query",), ("path",)) else ("body", *err.loc)
    return [{"loc": _safe_loc(loc), "msg": err.msg, "type": "value_error"}]


def error_detail(err: Exception) -> Any:
    """The ``detail`` of a refused request, the same over HTTP and the WebSocket."""
    if isinstance(err, ValidationError):
        # A message's fields are a request body's fields: located as FastAPI locates them.
        return validation_detail([{**e, "loc": ("body", *e.get("loc", ()))} for e in err.errors()])
    if isinstance(err, FormulaError):
        return formula_detail(err)
    if isinstance(err, FieldError):
        return field_detail(err)
    return [{"loc": ["body"], "msg": str(err), "type": "value_error"}]


def formula_detail(err: FormulaError) -> list[dict[str, Any]]:
    """Where a typed formula is wrong: 1-based columns (end inclusive) into the formula as
    sent, and what is wrong there.  The formula itself is not repeated."""
    where = f"column {err.column}" if err.column == err.end_column else f"columns {err.column}-{err.end_column}"
    return [
        {
            "loc": ["body", "custom", "formula"],
            "msg": f"{where}: {err.message}",
            "type": "formula",
            "column": err.column,
            "end_column": err.end_column,
        }
    ]


def busy_response() -> JSONResponse:
    return JSONResponse({"detail": "the server is busy; retry shortly"}, status_code=503, headers={"Retry-After": str(Busy.retry_after_s)})


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The only 400 is a body that could not be read as JSON (not UTF-8): a 422 like
            # every other malformed body.
            return JSONResponse({"detail": [{"loc": ["body"], "msg": "the body is not valid JSON", "type": "json_invalid"}]}, 422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Busy)
    async def on_busy(request: Request, exc: Busy) -> JSONResponse:
        return busy_response()

    # FieldError, FormulaError and pydantic's ValidationError are ValueErrors: error_detail
    # gives each its shape, the same as the WebSocket's.
    @app.exception_handler(ValueError)
    async def on_value_error(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": error_detail(exc)}, status_code=422)

    @app.exception_handler(Exception)
    async def on_anything(request: Request, exc: Exception) -> JSONResponse:  # a bug, but never a leak
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)
