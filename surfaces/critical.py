"""Critical points: the gradient, the Hessian and what its eigenvalues say.

At a critical point (∇L = 0) the Taylor expansion is L(θ) ≈ L(θ') + ½(θ − θ')ᵀH(θ − θ'), so the
Hessian's eigenvalues decide: all positive → local minimum, all negative → local maximum,
both signs → saddle, and a saddle is escaped along the eigenvector of a negative eigenvalue.

Tolerances (float32 throughout):

* a point is *critical* when ‖∇L‖ ≤ ``GRAD_TOL`` = 1e-3 (absolute; the built-in surfaces have
  curvatures of order 1–1000 inside their domains, so this is a few float32 steps of the
  optimiser away from the exact point);
* an eigenvalue counts as zero when |λ| ≤ ``EIG_TOL`` · max(1, max|λ|), ``EIG_TOL`` = 1e-4;
* critical with an eigenvalue counted as zero and no eigenvalues of both signs → ``degenerate``:
  the second-order test cannot decide (e.g. along the valley of minima w₁w₂ = 1 of the
  two-weight network, where the Hessian is [[2, 2], [2, 2]] with eigenvalues 0 and 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np

from errorscape.surfaces.errors import FieldError
from errorscape.surfaces.kernels import bucket
from errorscape.surfaces.problem import Env, loss_functions, make_env, resolve_params
from errorscape.surfaces.registry import DATA_SEED, Array, Surface, get_surface, surface_cache

GRAD_TOL = 1e-3
EIG_TOL = 1e-4
# The "escape" step from a saddle, as a share of the larger side of the surface's domain: far
# enough to leave the saddle's flat middle, short enough to stay in its basin of escape.
ESCAPE_STEP = 0.02
Verdict = Literal["minimum", "maximum", "saddle", "not_critical", "degenerate"]


@dataclass(frozen=True)
class Analysis:
    """What the Hessian says at one point: loss, gradient (2,), Hessian (2, 2), its eigenvalues
    (ascending) and eigenvectors (columns), the verdict (``minimum``, ``maximum``, ``saddle``,
    ``degenerate`` where an eigenvalue is zero, ``not_critical`` where the gradient is not), and
    for a saddle the escape direction and the point one escape step away."""

    point: np.ndarray  # (2,)
    loss: float
    gradient: np.ndarray  # (2,)
    hessian: np.ndarray  # (2, 2)
    eigenvalues: np.ndarray  # (2,), ascending
    eigenvectors: np.ndarray  # (2, 2), column i belongs to eigenvalue i
    kind: Verdict
    escape_direction: np.ndarray | None  # unit vector along the most negative eigenvalue, saddles only
    escape_point: np.ndarray | None  # one escape step (ESCAPE_STEP of the domain) along it, saddles only
    eigenvalue_signs: np.ndarray  # (2,) int: −1, 0 (within the verdict's tolerance of 0) or 1


def escape_step(surface: Surface) -> float:
    """The length of the escape step on ``surface``."""
    (x0, x1), (y0, y1) = surface.domain
    return ESCAPE_STEP * max(x1 - x0, y1 - y0)


# Every verdict, in the order the end-point chart lists them.
KINDS: tuple[Verdict, ...] = ("minimum", "saddle", "maximum", "degenerate", "not_critical")


def verdicts(gradients: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
    """The verdict of each row of gradients [P, 2] and Hessian eigenvalues [P, 2], as indices
    into KINDS: not critical where the gradient is not ≈ 0 (or not finite); else by the
    eigenvalues' signs, an eigenvalue within the tolerance of 0 making it degenerate (a flat
    direction: neither the minimum ratio nor the second-order test can decide there)."""
    g = np.asarray(gradients, np.float64).reshape(-1, 2)
    w = np.asarray(eigenvalues, np.float64).reshape(-1, 2)
    finite = np.isfinite(g).all(axis=1) & np.isfinite(w).all(axis=1)
    with np.errstate(invalid="ignore"):
        critical = finite & (np.linalg.norm(np.where(np.isfinite(g), g, np.inf), axis=1) <= GRAD_TOL)
        tol = EIG_TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(w), w, 0.0)).max(axis=1, keepdims=True))
    pos, neg = w > tol, w < -tol
    kind = np.select(
        [~critical, pos.any(axis=1) & neg.any(axis=1), pos.all(axis=1), neg.all(axis=1)],
        [KINDS.index("not_critical"), KINDS.index("saddle"), KINDS.index("minimum"), KINDS.index("maximum")],
        KINDS.index("degenerate"),
    )
    return kind.astype(np.int32)


def verdict(gradient: np.ndarray, eigenvalues: np.ndarray) -> Verdict:
    return KINDS[int(verdicts(gradient, eigenvalues)[0])]


def _check_point(point: Any) -> np.ndarray:
    try:
        p = np.asarray(point, dtype=np.float64)
    except (TypeError, ValueError):
        raise FieldError(("point",), "expected two numbers") from None
    if p.shape != (2,) or not np.isfinite(p).all():
        raise FieldError(("point",), "expected two finite numbers")
    return p.astype(np.float32)


@surface_cache(custom_size=8)
def _derivatives(surface: Surface):
    """Jitted (loss, gradient, Hessian) of the full-batch loss, vmapped over points."""
    full, _, _ = loss_functions(surface)

    def one(theta, env):
        return full(theta, env), jax.grad(full)(theta, env), jax.hessian(full)(theta, env)

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def _env(surface: Surface, params: Mapping[str, Any] | None, data_seed: int) -> Env:
    return make_env(surface, resolve_params(surface, params), data_seed)


def _orient(v: np.ndarray) -> np.ndarray:
    """Eigenvectors are defined up to sign; make the largest component positive, for stable output."""
    return v * (1.0 if v[np.argmax(np.abs(v))] >= 0 else -1.0)


def _padded(points: np.ndarray) -> np.ndarray:
    """Points padded to a power-of-two count, so any number of points compiles few shapes."""
    out = np.zeros((bucket(points.shape[0]), 2), np.float32)
    out[: points.shape[0]] = points
    return out


def _derivatives_at(surface: Surface, points: np.ndarray, params: Mapping[str, Any] | None, data_seed: int):
    """(loss, gradient, Hessian) at each point, on the host."""
    n = points.shape[0]
    loss, grad, hess = jax.device_get(_derivatives(surface)(_padded(points), _env(surface, params, data_seed)))
    return loss[:n], grad[:n], hess[:n]


def _analyses(surface: Surface, points: np.ndarray, params: Mapping[str, Any] | None, data_seed: int) -> list[Analysis]:
    loss, grad, hess = _derivatives_at(surface, points, params, data_seed)
    out = []
    for p, value, g, h in zip(points, loss, grad, hess, strict=True):
        h = 0.5 * (h + h.T)  # symmetric by theory; float32 round-off can differ in the last bit
        w, v = np.linalg.eigh(h.astype(np.float64))
        v = np.stack([_orient(v[:, 0]), _orient(v[:, 1])], axis=1)
        kind = verdict(g, w)
        escape = v[:, 0].astype(np.float32) if kind == "saddle" else None
        tol = EIG_TOL * max(1.0, float(np.abs(w).max())) if np.isfinite(w).all() else np.inf
        signs = np.where(w > tol, 1, np.where(w < -tol, -1, 0)).astype(np.int32)
        out.append(
            Analysis(
                point=p,
                loss=float(value),
                gradient=g,
                hessian=h,
                eigenvalues=w.astype(np.float32),
                eigenvectors=v.astype(np.float32),
                kind=kind,
                escape_direction=escape,
                escape_point=None if escape is None else (p + escape_step(surface) * escape).astype(np.float32),
                eigenvalue_signs=signs,
            )
        )
    return out


def analyze(surface: str | Surface, point: Any, surface_params: Mapping[str, Any] | None = None, data_seed: int = DATA_SEED) -> Analysis:
    """Loss, gradient, Hessian, eigen-decomposition and verdict at one ``point`` (two numbers)
    of the full-batch loss; ``surface_params`` and ``data_seed`` as in :func:`simulate`.  Returns an
    :class:`Analysis`; a bad point raises FieldError."""
    s = get_surface(surface)
    return _analyses(s, _check_point(point)[None], surface_params, data_seed)[0]


def minimum_ratio(
    surface: str | Surface, points: Any, surface_params: Mapping[str, Any] | None = None, data_seed: int = DATA_SEED
) -> np.ndarray:
    """For each of ``points`` [P, 2], the share of the Hessian's eigenvalues that are positive
    (0, ½ or 1): an array [P], NaN where a point is not finite.

    The lecture's "minimum ratio": a true minimum has ratio 1; points where training stalls
    usually have ratio below 1, i.e. they are saddle-like.
    """
    s = get_surface(surface)
    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise FieldError(("points",), "expected shape (P, 2)")
    finite = np.isfinite(pts).all(axis=1)
    ratios = np.full(pts.shape[0], np.nan, np.float32)
    if finite.any():
        _, _, hess = _derivatives_at(s, pts[finite], surface_params, data_seed)
        w = np.linalg.eigvalsh(0.5 * (hess + np.swapaxes(hess, 1, 2)).astype(np.float64))
        tol = EIG_TOL * np.maximum(1.0, np.abs(w).max(axis=1, keepdims=True))
        ratios[finite] = (w > tol).mean(axis=1)
    return ratios


def point_kinds(
    surface: str | Surface, points: Any, surface_params: Mapping[str, Any] | None = None, data_seed: int = DATA_SEED
) -> np.ndarray:
    """The verdict at each of ``points`` [P, 2], as :func:`analyze` gives it one point at a time:
    indices into :data:`KINDS`, −1 where a point is not finite (a diverged run's end)."""
    s = get_surface(surface)
    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise FieldError(("points",), "expected shape (P, 2)")
    finite = np.isfinite(pts).all(axis=1)
    out = np.full(pts.shape[0], -1, np.int32)
    if finite.any():
        _, grad, hess = _derivatives_at(s, pts[finite], surface_params, data_seed)
        w = np.linalg.eigvalsh(0.5 * (hess + np.swapaxes(hess, 1, 2)).astype(np.float64))
        out[finite] = verdicts(grad, w)
    return out


@surface_cache(custom_size=8)
def _newton(surface: Surface, iterations: int):
    """Damped Newton on ∇L = 0, i.e. Gauss–Newton on ½‖∇L‖²: it converges to critical points of
    every kind, not only minima.  The step (H² + μI)⁻¹H∇L is clipped so a far start cannot jump
    out of the domain in one go."""
    full, _, _ = loss_functions(surface)
    grad = jax.grad(full)
    hess = jax.hessian(full)

    def one(theta: Array, env, max_step: Array) -> Array:
        def body(_, th):
            g, h = grad(th, env), hess(th, env)
            mu = 1e-6 * (1.0 + jnp.sum(h * h))
            step = jnp.linalg.solve(h @ h + mu * jnp.eye(2), h @ g)
            n = jnp.linalg.norm(step)
            step = jnp.where(n > max_step, step * (max_step / n), step)
            new = th - step
            return jnp.where(jnp.isfinite(new).all(), new, th)

        return jax.lax.fori_loop(0, iterations, body, theta)

    return jax.jit(jax.vmap(one, in_axes=(0, None, None)))


@dataclass(frozen=True)
class FoundPoint:
    """A critical point found by Newton's method: where, its verdict, loss and eigenvalues."""

    point: np.ndarray
    kind: Verdict
    loss: float
    eigenvalues: np.ndarray


def _refine(surface: Surface, points: np.ndarray, params, data_seed: int, iterations: int = 60) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.domain
    max_step = np.float32(0.1 * max(x1 - x0, y1 - y0))
    env = _env(surface, params, data_seed)
    n = points.shape[0]
    return np.asarray(_newton(surface, iterations)(_padded(points), env, max_step))[:n]


def find_critical_points(
    surface: str | Surface,
    surface_params: Mapping[str, Any] | None = None,
    grid: int = 24,
    data_seed: int = DATA_SEED,
) -> list[FoundPoint]:
    """Critical points inside the plot domain, found by Newton from a ``grid`` × ``grid`` (2 to
    128) lattice of starts, de-duplicated, classified and sorted by loss: a list of
    :class:`FoundPoint`."""
    s = get_surface(surface)
    if not 2 <= int(grid) <= 128:
        raise FieldError(("grid",), "must be between 2 and 128")
    from errorscape.surfaces.sampling import grid_starts

    ends = _refine(s, grid_starts(s, int(grid)), surface_params, data_seed)
    (x0, x1), (y0, y1) = s.domain
    inside = np.isfinite(ends).all(axis=1) & (ends[:, 0] >= x0) & (ends[:, 0] <= x1) & (ends[:, 1] >= y0) & (ends[:, 1] <= y1)
    merge = 1e-3 * max(x1 - x0, y1 - y0)
    found: list[FoundPoint] = []
    for a in _analyses(s, ends[inside], surface_params, data_seed):
        if a.kind == "not_critical":
            continue
        if any(np.linalg.norm(f.point - a.point) < merge for f in found):
            continue
        found.append(FoundPoint(point=a.point, kind=a.kind, loss=a.loss, eigenvalues=a.eigenvalues))
    return sorted(found, key=lambda f: f.loss)


def known_critical_points(
    surface: str | Surface, surface_params: Mapping[str, Any] | None = None, data_seed: int = DATA_SEED
) -> list[FoundPoint]:
    """The surface's declared critical points, refined by Newton at these parameters.

    The declared kind is kept when the refined point is critical (a curve of minima refines
    to a ``degenerate`` verdict but is still a minimum of the loss); a hint that no longer
    lands on a critical point at these parameters is dropped."""
    s = get_surface(surface)
    if not s.critical_points:
        return []
    hints = np.asarray([c.point for c in s.critical_points], np.float32)
    refined = _refine(s, hints, surface_params, data_seed)
    out = []
    for c, a in zip(s.critical_points, _analyses(s, refined, surface_params, data_seed), strict=True):
        if a.kind != "not_critical":
            out.append(FoundPoint(point=a.point, kind=c.kind, loss=a.loss, eigenvalues=a.eigenvalues))
    return out
