"""From validated request models to engine arguments, with the server's size limits."""

from __future__ import annotations

from typing import Any

from errorscape import surfaces
from errorscape.server.models import BasinRequest, CustomSurfaceSpec, RunRequest, SurfaceParams
from errorscape.server.settings import Settings
from errorscape.surfaces.custom import custom_surface
from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.formula import FormulaError


class TooLarge(Exception):
    """A request over a size limit: 413, with a detail that says which limit and what to use."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def request_surface(req: Any) -> surfaces.Surface:
    """The surface a request names: a built-in one, or its typed formula compiled (a
    FormulaError, a ValueError, says where the formula is wrong)."""
    if req.surface.value == "custom":
        return spec_surface(req.custom)
    return surfaces.get_surface(req.surface.value)


def spec_surface(spec: CustomSurfaceSpec) -> surfaces.Surface:
    domain = None if spec.domain is None else [list(r) for r in spec.domain]
    try:
        return custom_surface(spec.formula, domain)
    except FormulaError:
        raise  # located in the formula's text (server/errors.py)
    except FieldError as err:
        raise err.within("custom") from None


def surface_params(surface: surfaces.Surface, params: SurfaceParams) -> dict[str, float]:
    """Unknown names are refused here, without repeating them (they are user text)."""
    declared = {p.name for p in surface.params}
    if set(params) - declared:
        known = ", ".join(sorted(declared)) or "none"
        raise FieldError(("surface_params",), f"unknown parameter for surface {surface.name!r} (parameters: {known})")
    return dict(params)


def start_count(starts: Any) -> int:
    if starts is None:
        return 3
    if hasattr(starts, "grid"):
        return int(starts.grid) ** 2
    if hasattr(starts, "random"):
        return int(starts.random)
    return len(starts)


def engine_starts(starts: Any) -> Any:
    if starts is None:
        return None
    if hasattr(starts, "grid"):
        return {"grid": starts.grid}
    if hasattr(starts, "random"):
        return {"random": starts.random}
    return [list(p) for p in starts]


def run_arguments(req: RunRequest, settings: Settings, point_steps_limit: int, where_else: str) -> dict[str, Any]:
    surface = request_surface(req)
    n_starts = start_count(req.starts)
    if n_starts > settings.max_starts:
        raise TooLarge(f"starts: at most {settings.max_starts} starts per run")
    if req.steps > settings.max_steps:
        raise TooLarge(f"steps: at most {settings.max_steps} steps per run")
    if len(req.optimizers) > settings.max_configs:
        raise TooLarge(f"optimizers: at most {settings.max_configs} configurations per run")
    work = n_starts * req.steps * len(req.optimizers)
    if work > point_steps_limit:
        raise TooLarge(f"run too large: starts x steps x optimizers must be at most {point_steps_limit}{where_else}")
    return {
        "surface": surface,
        "optimizers": [o.as_engine_spec() for o in req.optimizers],
        "starts": engine_starts(req.starts),
        "steps": req.steps,
        "batch_size": req.batch_size,
        "seed": req.seed,
        "surface_params": surface_params(surface, req.surface_params),
        # A page's runs are interactive: the general program, where moving any slider or
        # switching any toggle compiles nothing (see engine.RunSpec.specialise).
        "specialise": False,
    }


def basin_arguments(req: BasinRequest, settings: Settings) -> dict[str, Any]:
    surface = request_surface(req)
    if req.grid > settings.max_basin_grid:
        raise TooLarge(f"grid: at most {settings.max_basin_grid} per side")
    if req.grid * req.grid * req.steps > settings.max_basin_point_steps:
        raise TooLarge(f"basin map too large: grid² x steps must be at most {settings.max_basin_point_steps}")
    return {
        "surface": surface,
        "optimizer": req.optimizer.as_engine_spec(),
        "grid": req.grid,
        "steps": req.steps,
        "batch_size": req.batch_size,
        "seed": req.seed,
        "surface_params": surface_params(surface, req.surface_params),
    }


def check_grid_side(n: int, settings: Settings, loc: tuple[str, ...]) -> None:
    """A loss grid's side within the server's limit (the request model holds the core's)."""
    if n > settings.max_grid:
        raise FieldError(loc, f"at most {settings.max_grid}")
