"""Plotly figures of runs, surfaces, basin maps and Hessians that look like the app's (its
colours and markers come from the page's own palette, static/js/palette.js).  They need no
network: Plotly.js comes from the installed plotly package.

    import errorscape as es
    run = es.simulate("narrow_valley", ["sgd", "adam"], starts={"grid": 4}, steps=300)
    es.plot.surface("narrow_valley", run)          # the surface with every start's path
    es.plot.curves(run)                            # loss and gradient norm against step
    es.plot.hessian("saddle", [0, 0])              # eigenvectors and the verdict at a point
    es.plot.basins(es.basin_map("bumpy", "momentum", grid=64))
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from errorscape.surfaces.basins import BasinMap
from errorscape.surfaces.critical import analyze, known_critical_points
from errorscape.surfaces.engine import RunResult
from errorscape.surfaces.fields import ChoiceField
from errorscape.surfaces.grid import loss_grid
from errorscape.surfaces.optax_rules import OptaxConfig
from errorscape.surfaces.optimizer import FIELDS, PRESETS
from errorscape.surfaces.registry import Surface, get_surface

__all__ = ["basins", "curves", "hessian", "palette", "surface"]

# The legend under the plot: on the right it would cover the colour bar.
_LAYOUT = {
    "template": "plotly_dark",
    "margin": {"l": 50, "r": 20, "t": 50, "b": 45},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
}


@functools.cache
def palette() -> dict[str, Any]:
    """The page's colours and markers, read from its palette module (one source for both)."""
    text = (resources.files("errorscape") / "static" / "js" / "palette.js").read_text()
    return {m.group(1): json.loads(m.group(2)) for m in re.finditer(r"export const (\w+) = (.+);", text)}


def _color(i: int) -> str:
    colors = palette()["COLORS"]
    return str(colors[i % len(colors)])


def _contour(s: Surface, params: Mapping[str, float] | None, n: int, split: str) -> go.Contour:
    grid = loss_grid(s, n, params, split)  # type: ignore[arg-type]
    return go.Contour(
        x=grid.x,
        y=grid.y,
        z=grid.z,
        colorscale=palette()["SURFACE_COLORSCALE"],
        contours={"coloring": "heatmap"},
        colorbar={"title": "loss"},
        name=f"{split} loss",
        hovertemplate="(%{x:.3f}, %{y:.3f}) loss %{z:.4g}<extra></extra>",
    )


def _critical(s: Surface, params: Mapping[str, float] | None) -> list[go.Scatter]:
    points = known_critical_points(s, params)
    if not points:
        return []
    symbols = palette()["CRITICAL_SYMBOLS"]
    return [
        go.Scatter(
            x=[float(p.point[0]) for p in points],
            y=[float(p.point[1]) for p in points],
            mode="markers",
            marker={"symbol": [symbols.get(p.kind, "circle") for p in points], "size": 13, "color": palette()["CRITICAL_COLOR"]},
            text=[p.kind for p in points],
            name="critical points",
            hovertemplate="%{text} (%{x:.3f}, %{y:.3f})<extra></extra>",
        )
    ]


def surface(
    surface: str | Surface,
    run: RunResult | None = None,
    *,
    params: Mapping[str, float] | None = None,
    labels: Sequence[str] | None = None,
    n: int = 121,
    split: str = "train",
    max_paths: int = 60,
) -> go.Figure:
    """The surface's contour with its critical points (where they are for these ``params``) and,
    given a run, each configuration's paths (one colour per configuration, at most
    ``max_paths`` drawn, every end point marked; diverged starts end where they left)."""
    return _surface_figure(get_surface(surface), run, params, labels, n, split, max_paths)


def _surface_figure(
    s: Surface,
    run: RunResult | None,
    params: Mapping[str, float] | None,
    labels: Sequence[str] | None = None,
    n: int = 121,
    split: str = "train",
    max_paths: int = 60,
) -> go.Figure:
    fig = go.Figure([_contour(s, params, n, split), *_critical(s, params)])
    if run is not None:
        c_count = run.positions.shape[0]
        names = list(labels) if labels is not None else [_config_label(cfg) for cfg in run.configs]
        for c in range(c_count):
            color = _color(c)
            for k in range(min(max_paths, run.positions.shape[2])):
                path = run.positions[c, :, k]
                fig.add_trace(
                    go.Scatter(
                        x=path[:, 0],
                        y=path[:, 1],
                        mode="lines",
                        line={"color": color, "width": 1.5},
                        name=names[c],
                        legendgroup=names[c],
                        showlegend=k == 0,
                        hoverinfo="skip",
                    )
                )
            ends = _last_finite(run.positions[c])
            fig.add_trace(
                go.Scatter(
                    x=ends[:, 0],
                    y=ends[:, 1],
                    mode="markers",
                    marker={"color": color, "size": 6},
                    name=f"{names[c]}: ends",
                    legendgroup=names[c],
                    showlegend=False,
                )
            )
    (x0, x1), (y0, y1) = s.domain
    fig.update_layout(title=s.titles["en"], xaxis={"range": [x0, x1], "title": "w₁"}, yaxis={"range": [y0, y1], "title": "w₂"}, **_LAYOUT)
    return fig


def curves(run: RunResult, labels: Sequence[str] | None = None) -> go.Figure:
    """Loss and gradient norm against step, per configuration: the median over starts with a
    10–90 % band, on log axes (diverged starts leave the statistics when they diverge)."""
    names = list(labels) if labels is not None else [_config_label(cfg) for cfg in run.configs]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "gradient norm"))
    steps = np.arange(run.loss.shape[1])
    for col, values in ((1, run.loss), (2, run.grad_norm)):
        for c in range(values.shape[0]):
            with np.errstate(all="ignore"):
                v = np.where(np.isfinite(values[c]), values[c], np.nan)
                low, mid, high = (np.nanpercentile(v, q, axis=1) if np.isfinite(v).any() else v[:, 0] for q in (10, 50, 90))
                # A start that reaches an exact zero would stretch a log axis over thirty decades:
                # the band stops three decades under the lowest median.
                positive = mid[np.isfinite(mid) & (mid > 0)]
                if positive.size:
                    low = np.maximum(low, 1e-3 * positive.min())
            color = _color(c)
            fig.add_trace(go.Scatter(x=steps, y=high, line={"width": 0}, showlegend=False, hoverinfo="skip"), row=1, col=col)
            fig.add_trace(
                go.Scatter(x=steps, y=low, fill="tonexty", line={"width": 0}, fillcolor=_fade(color), showlegend=False, hoverinfo="skip"),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(x=steps, y=mid, line={"color": color}, name=names[c], legendgroup=names[c], showlegend=col == 1), row=1, col=col
            )
    fig.update_yaxes(type="log")
    fig.update_xaxes(title="step")
    fig.update_layout(**_LAYOUT)
    return fig


def hessian(
    surface: str | Surface, point: Sequence[float], *, params: Mapping[str, float] | None = None, radius: float | None = None
) -> go.Figure:
    """The surface around ``point`` with the Hessian's eigenvectors drawn from it (green for a
    positive eigenvalue, red for a negative one, grey for a zero one) and the verdict."""
    s = get_surface(surface)
    a = analyze(s, list(point), params)
    fig = _surface_figure(s, None, params)
    (x0, x1), (y0, y1) = s.domain
    r = radius if radius is not None else 0.15 * max(x1 - x0, y1 - y0)
    for value, sign, vector in zip(a.eigenvalues, a.eigenvalue_signs, a.eigenvectors.T, strict=True):
        color = palette()["EIGEN_COLORS"][str(int(sign))]
        end = np.asarray(point, float) + r * vector
        fig.add_trace(
            go.Scatter(
                x=[point[0], end[0]],
                y=[point[1], end[1]],
                mode="lines+markers",
                line={"color": color, "width": 4},
                marker={"symbol": ["circle", "arrow"], "angleref": "previous", "size": [6, 14]},
                name=f"λ = {value:.3g}",
            )
        )
    fig.update_layout(
        title=f"{s.titles['en']}: {a.kind.replace('_', ' ')} at ({point[0]:g}, {point[1]:g}), eigenvalues "
        + ", ".join(f"{v:.3g}" for v in a.eigenvalues)
    )
    return fig


def basins(m: BasinMap, surface: str | Surface | None = None, title: str = "") -> go.Figure:
    """Which minimum each start reaches (grey: none or diverged), with the minima marked."""
    n = math.isqrt(m.basin.size)
    colors = palette()["BASIN_COLORS"]
    k = max(1, len(m.minima))
    z = np.where(m.basin < 0, -1, m.basin % len(colors)).reshape(n, n)
    scale_colors = [palette()["NO_BASIN_COLOR"], *(colors[b % len(colors)] for b in range(k))]
    scale = []
    for i, color in enumerate(scale_colors):
        scale += [[max(0.0, (i - 0.5) / k), color], [min(1.0, (i + 0.5) / k), color]]
    fig = go.Figure(
        [
            go.Heatmap(
                x=m.starts[:n, 0],
                y=m.starts[::n, 1],
                z=z,
                zmin=-1,
                zmax=k - 1,
                colorscale=scale,
                showscale=False,
                hovertemplate="start (%{x:.3f}, %{y:.3f}) → minimum %{z}<extra></extra>",
            ),
            go.Scatter(
                x=[float(p.point[0]) for p in m.minima],
                y=[float(p.point[1]) for p in m.minima],
                mode="markers+text",
                text=[str(i) for i in range(len(m.minima))],
                textposition="top center",
                marker={"symbol": palette()["CRITICAL_SYMBOLS"]["minimum"], "size": 14, "color": palette()["CRITICAL_COLOR"]},
                name="minima",
            ),
        ]
    )
    shares = [float(np.mean(m.basin == i)) for i in range(len(m.minima))]
    label = title or (get_surface(surface).titles["en"] if surface is not None else "basins")
    fig.update_layout(title=f"{label}: share of starts per minimum " + ", ".join(f"{i}: {v:.0%}" for i, v in enumerate(shares)), **_LAYOUT)
    return fig


def _config_label(config: Any) -> str:
    """A preset's name where the configuration is a preset at some η; else its parts."""
    if isinstance(config, OptaxConfig):
        return f"optax.{config.name}"
    for name, preset in PRESETS.items():
        if dataclasses.replace(preset, lr=config.lr) == config:
            return f"{name} η={config.lr:.2g}"
    parts = [f"η={config.lr:.2g}"]
    for field in FIELDS:
        if isinstance(field, ChoiceField) and getattr(config, field.name) != field.default:
            parts.append(f"{field.name}={getattr(config, field.name)}")
    return " ".join(parts)


def _last_finite(paths: np.ndarray) -> np.ndarray:
    """[T, S, 2] → each start's last finite position."""
    finite = np.isfinite(paths).all(axis=2)
    last = np.where(finite.any(axis=0), finite.shape[0] - 1 - np.argmax(finite[::-1], axis=0), 0)
    return paths[last, np.arange(paths.shape[1])]


def _fade(color: str) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.2)"
