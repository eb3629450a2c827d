// Pure functions from state and data to Plotly traces and layouts. No DOM here.

import { BASIN_COLORS, COLORS, CRITICAL_COLOR, CRITICAL_SYMBOLS, EIGEN_COLORS, NO_BASIN_COLOR, SURFACE_COLORSCALE } from "./palette.js";

export { COLORS };
export const TRAILS = 60; // trajectories drawn as lines; every start is drawn as a dot

const AXIS = { color: "#cbd5e1", gridcolor: "#1f2937", zeroline: false };

export function surfaceLayout(surface, title) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  return {
    title: { text: title, font: { color: "#e5e7eb", size: 18 } },
    paper_bgcolor: "#111827",
    plot_bgcolor: "#111827",
    margin: { l: 50, r: 20, t: 40, b: 40 },
    xaxis: { ...AXIS, range: [x0, x1], title: { text: "θ₁", standoff: 4 }, automargin: true },
    yaxis: { ...AXIS, range: [y0, y1], title: { text: "θ₂" }, automargin: true },
    showlegend: true,
    // At the figure's foot, measured from it (not a share of the plot's height, which on a
    // laptop put the legend over the θ₁ axis title); the bottom margin grows to hold it.
    legend: { font: { color: "#e5e7eb" }, bgcolor: "rgba(17,24,39,0.7)", orientation: "h", x: 0, xref: "container", y: 0, yref: "container", yanchor: "bottom" },
    uirevision: surface.name,
  };
}

// The loss is shown on a log scale above its minimum, so a narrow valley and a plateau are
// both readable. One model per grid, cached by the caller: the same trace objects let
// Plotly.react skip recomputing the contours.
export function surfaceModel(grid) {
  let low = Infinity;
  for (const row of grid.z) for (const v of row) if (v !== null && v < low) low = v;
  // `loss`: the surface itself, the 3-D view's height; `z`: log₁₀(L − min), the colours (a
  // log scale shows a valley's floor and its walls at once, where a height on it would not:
  // it made a saddle look like a dome and a flat minimum like a needle).
  return { x: grid.x, y: grid.y, low, loss: grid.z, z: grid.z.map((row) => row.map((v) => height(v, low))) };
}

export function height(v, low) {
  return v === null || Number.isNaN(v) ? null : Math.log10(Math.max(v - low, 0) + 1e-3);
}

export function contourTrace(model, colorbarTitle = "log₁₀(L − min)") {
  return {
    type: "contour",
    x: model.x,
    y: model.y,
    z: model.z,
    colorscale: SURFACE_COLORSCALE,
    contours: { coloring: "heatmap", showlines: true },
    line: { color: "rgba(255,255,255,0.25)", width: 0.5 },
    colorbar: { title: { text: colorbarTitle, font: { color: "#e5e7eb" } }, tickfont: { color: "#e5e7eb" } },
    hovertemplate: "θ = (%{x:.3f}, %{y:.3f})<extra></extra>",
    name: "loss",
    showlegend: false,
  };
}

// The test surface over the training one: its contour lines only, dashed, so both read at once.
export function testContourTrace(model, name) {
  return {
    type: "contour",
    x: model.x,
    y: model.y,
    z: model.z,
    contours: { coloring: "none", showlines: true },
    line: { color: "rgba(255,255,255,0.85)", width: 1.2, dash: "dash" },
    ncontours: 14,
    showscale: false,
    hoverinfo: "skip",
    name,
    showlegend: true,
  };
}

export function surface3dTraces(model, testModel, names) {
  const traces = [
    {
      type: "surface",
      x: model.x,
      y: model.y,
      z: model.loss,
      surfacecolor: model.z,
      colorscale: SURFACE_COLORSCALE,
      showscale: false,
      opacity: testModel ? 0.85 : 1,
      contours: { z: { show: true, usecolormap: true, project: { z: true }, width: 1 } },
      hovertemplate: "θ = (%{x:.3f}, %{y:.3f})<extra></extra>",
      name: names.train,
    },
  ];
  if (testModel) {
    traces.push({
      type: "surface",
      x: testModel.x,
      y: testModel.y,
      z: testModel.loss,
      colorscale: [[0, "#f8fafc"], [1, "#f8fafc"]],
      showscale: false,
      opacity: 0.35,
      hoverinfo: "skip",
      name: names.test,
      showlegend: true,
    });
  }
  return traces;
}

export function layout3d(surface, title) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  const axis = { color: "#cbd5e1", gridcolor: "#374151", backgroundcolor: "#111827", showbackground: true };
  return {
    title: { text: title, font: { color: "#e5e7eb", size: 18 } },
    paper_bgcolor: "#111827",
    margin: { l: 0, r: 0, t: 40, b: 0 },
    showlegend: true,
    legend: { font: { color: "#e5e7eb" }, bgcolor: "rgba(17,24,39,0.7)", orientation: "h", x: 0, y: 0 },
    scene: {
      xaxis: { ...axis, range: [x0, x1], title: { text: "θ₁" } },
      yaxis: { ...axis, range: [y0, y1], title: { text: "θ₂" } },
      zaxis: { ...axis, title: { text: "log₁₀(L − min)" } },
      aspectmode: "manual",
      aspectratio: { x: 1, y: 1, z: 0.6 },
      camera: { eye: { x: 1.4, y: -1.4, z: 1.0 } },
    },
    uirevision: surface.name,
  };
}

// `model`: draw in 3-D, each point at the height of the nearest grid point.
export function criticalPointTrace(surface, name = "critical points", model = null) {
  const pts = surface.critical_points;
  const symbol = model ? { minimum: "diamond", maximum: "circle", saddle: "x" } : CRITICAL_SYMBOLS;
  const trace = {
    type: model ? "scatter3d" : "scatter",
    mode: "markers",
    x: pts.map((p) => p.point[0]),
    y: pts.map((p) => p.point[1]),
    marker: { symbol: pts.map((p) => symbol[p.kind]), size: model ? 6 : 12, color: CRITICAL_COLOR, line: { color: "#000", width: 1 } },
    text: pts.map((p) => p.kind),
    hovertemplate: "%{text} (%{x:.3f}, %{y:.3f})<extra></extra>",
    name,
  };
  if (model) trace.z = pts.map((p) => heightAt(model, p.point[0], p.point[1]));
  return trace;
}

// The loss at the grid point nearest (x, y): a marker's height in the 3-D view.
export function heightAt(model, x, y) {
  const nearest = (axis, v) => {
    const i = Math.round(((v - axis[0]) / (axis[axis.length - 1] - axis[0])) * (axis.length - 1));
    return Math.max(0, Math.min(axis.length - 1, i));
  };
  return model.loss[nearest(model.y, y)][nearest(model.x, x)];
}

// Index of (step t, configuration c, start 0) in a run's time-major arrays.
export function offset(run, t, c) {
  return (t * run.configs + c) * run.starts;
}

const clean = (v) => (Number.isNaN(v) ? null : v);

// The moving parts of one configuration at step t in 3-D: trails of the first TRAILS starts up
// to t (null-separated) and the dot of every start, at the height `z(loss)`.
function moving(run, t, c, z) {
  const S = run.starts;
  const upto = Math.max(0, Math.min(t, run.filled - 1));
  const trails = Math.min(S, TRAILS);
  const tx = [];
  const ty = [];
  const tz = [];
  for (let s = 0; s < trails; s++) {
    for (let k = 0; k <= upto; k++) {
      const i = offset(run, k, c) + s;
      tx.push(clean(run.positions[2 * i]));
      ty.push(clean(run.positions[2 * i + 1]));
      tz.push(z(run.loss[i]));
    }
    tx.push(null);
    ty.push(null);
    tz.push(null);
  }
  const dx = new Array(S);
  const dy = new Array(S);
  const dz = new Array(S);
  const base = offset(run, upto, c);
  for (let s = 0; s < S; s++) {
    dx[s] = clean(run.positions[2 * (base + s)]);
    dy[s] = clean(run.positions[2 * (base + s) + 1]);
    dz[s] = z(run.loss[base + s]);
  }
  return { trail: { x: tx, y: ty, z: tz }, dots: { x: dx, y: dy, z: dz } };
}

// Trails, dots and diverged marks for every configuration in the 3-D view, at the height
// `z(loss)`. (The contour view draws them on its own canvas layer: overlay.js.)
export function trajectoryTraces(run, t, labels, { z, divergedName = "diverged" }) {
  const traces = [];
  if (!run) return traces;
  for (let c = 0; c < run.configs; c++) {
    const color = COLORS[c % COLORS.length];
    const m = moving(run, t, c, z);
    const trail = { type: "scatter3d", mode: "lines", x: m.trail.x, y: m.trail.y, z: m.trail.z, line: { color, width: 3 }, opacity: 0.7, hoverinfo: "skip", name: labels[c], legendgroup: String(c) };
    const dots = {
      type: "scatter3d",
      mode: "markers",
      x: m.dots.x,
      y: m.dots.y,
      z: m.dots.z,
      marker: { color, size: 3 },
      hovertemplate: "(%{x:.3f}, %{y:.3f})<extra></extra>",
      name: labels[c] + " ·",
      legendgroup: String(c),
      showlegend: false,
      meta: { dots: c },
    };
    traces.push(trail, dots, divergedTrace(run, t, c, { z, name: divergedName }));
  }
  return traces;
}

// The contour view's legend: an empty trace per configuration (and one for diverged starts),
// since what they name is drawn on the canvas layer. Clicking one hides that configuration
// there too (`meta.config`).
export function legendTraces(labels, { diverged = false, divergedName = "diverged" } = {}) {
  const traces = labels.map((name, c) => {
    const color = COLORS[c % COLORS.length];
    return { type: "scatter", mode: "lines+markers", x: [null], y: [null], line: { color, width: 1.5 }, marker: { color, size: 6 }, name, legendgroup: String(c), meta: { config: c }, hoverinfo: "skip" };
  });
  if (diverged) {
    traces.push({ type: "scatter", mode: "markers", x: [null], y: [null], marker: { symbol: "x", size: 11, color: "#ef4444", line: { color: "#7f1d1d", width: 1 } }, name: divergedName, legendgroup: "diverged", meta: { diverged: true }, hoverinfo: "skip" });
  }
  return traces;
}

// Where each diverged start was last finite, from its divergence step on: a red cross (3-D;
// the contour view moves it to the edge of the view, overlay.js).
export function divergedTrace(run, t, c, { z, name = "diverged" }) {
  const x = [];
  const y = [];
  const zs = [];
  if (run.divergedAt) {
    const row = run.divergedAt[c];
    for (let s = 0; s < run.starts; s++) {
      const d = row[s];
      if (d < 0 || d > t) continue;
      const i = offset(run, Math.max(0, d - 1), c) + s;
      x.push(clean(run.positions[2 * i]));
      y.push(clean(run.positions[2 * i + 1]));
      zs.push(z(run.loss[i]));
    }
  }
  return {
    type: "scatter3d",
    mode: "markers",
    x,
    y,
    z: zs,
    marker: { symbol: "x", size: 6, color: "#ef4444", line: { color: "#7f1d1d", width: 1 } },
    hovertemplate: `${name} (%{x:.3f}, %{y:.3f})<extra></extra>`,
    name,
    legendgroup: "diverged",
    showlegend: c === 0 && x.length > 0,
  };
}

// A ring around the selected start's dot in 3-D ([] when nothing is selected).
export function selectedTraces(run, t, selected, { z, name = "selected" }) {
  if (!selected || !run || selected.config >= run.configs || selected.start >= run.starts) return [];
  const k = Math.max(0, Math.min(t, run.filled - 1));
  const i = offset(run, k, selected.config) + selected.start;
  return [
    {
      type: "scatter3d",
      mode: "markers",
      x: [clean(run.positions[2 * i])],
      y: [clean(run.positions[2 * i + 1])],
      z: [z(run.loss[i])],
      marker: { size: 8, color: "rgba(0,0,0,0)", line: { color: "#ffffff", width: 3 }, symbol: "circle-open" },
      name,
      hoverinfo: "skip",
    },
  ];
}

// The point where the segment from (x0, y0) (inside the domain) to (x, y) leaves the domain;
// (x, y) itself when it is inside.
export function toEdge(x, y, x0, y0, domain) {
  const [[a, b], [c, d]] = domain;
  if (x >= a && x <= b && y >= c && y <= d) return [x, y];
  let s = 1;
  const dx = x - x0;
  const dy = y - y0;
  if (dx > 0) s = Math.min(s, (b - x0) / dx);
  if (dx < 0) s = Math.min(s, (a - x0) / dx);
  if (dy > 0) s = Math.min(s, (d - y0) / dy);
  if (dy < 0) s = Math.min(s, (c - y0) / dy);
  s = Math.max(0, s);
  return [x0 + s * dx, y0 + s * dy];
}

// The Hessian's eigenvectors as arrows through the analysed point: red for a negative
// eigenvalue (the way down out of a saddle), green for a positive one, grey for one the
// verdict counts as 0 (a flat direction).
export function eigenTraces(analysis, point, surface, model = null) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  const scale = 0.12 * Math.max(x1 - x0, y1 - y0);
  const traces = [];
  for (let i = 0; i < 2; i++) {
    const v = [analysis.eigenvectors[0][i], analysis.eigenvectors[1][i]];
    const lam = analysis.eigenvalues[i];
    const x = [point[0] - scale * v[0], point[0] + scale * v[0]];
    const y = [point[1] - scale * v[1], point[1] + scale * v[1]];
    const color = EIGEN_COLORS[String(analysis.eigenvalue_signs[i])];
    const name = `λ${i + 1} = ${lam === null ? "?" : lam.toPrecision(4)}`;
    if (model) {
      const h = heightAt(model, point[0], point[1]);
      traces.push({ type: "scatter3d", mode: "lines", x, y, z: [h, h], line: { color, width: 8 }, name, hoverinfo: "name" });
      continue;
    }
    traces.push({
      type: "scatter",
      mode: "lines+markers",
      x,
      y,
      line: { color, width: 4 },
      marker: { symbol: "arrow", angleref: "previous", size: 12 },
      name,
      hoverinfo: "name",
    });
  }
  return traces;
}


// Which known minimum each start of a grid reaches, as a translucent categorical heatmap
// (grey where a start reached none or diverged).
// Opaque enough that a basin's colour reads as its legend's over the loss colours beneath.
const BASIN_OPACITY = 0.9;

export function basinTrace(map) {
  const n = map.grid;
  const k = Math.max(1, map.minima.length);
  const z = [];
  for (let i = 0; i < n; i++) z.push(map.basin.slice(i * n, (i + 1) * n).map(basinColorIndex));
  // Stepped scale: value c ∈ {−1 … k−1} sits at (c + 1)/k; each owns the band around it.
  const colors = [NO_BASIN_COLOR, ...Array.from({ length: k }, (_, b) => BASIN_COLORS[basinColorIndex(b)])];
  const scale = [];
  colors.forEach((color, i) => {
    scale.push([Math.max(0, (i - 0.5) / k), color], [Math.min(1, (i + 0.5) / k), color]);
  });
  // A contour trace, not a heatmap: Plotly draws heatmaps beneath contour layers, so a
  // heatmap would vanish under the loss contours.
  return {
    type: "contour",
    x: map.x,
    y: map.y,
    z,
    zmin: -1,
    zmax: k - 1,
    autocontour: false,
    contours: { start: -0.5, end: k - 0.5, size: 1, coloring: "heatmap", showlines: false },
    line: { width: 0 },
    colorscale: scale,
    opacity: BASIN_OPACITY,
    showscale: false,
    hoverinfo: "skip",
    name: "basins",
  };
}

// The basin map's legend: one entry per minimum's colour (where the runs of that colour end),
// one for "no minimum", under a title naming the configuration the map was computed for.
// Colours are never reused: minima past the palette share one "other minima" entry and colour.
export function basinLegend(map, names) {
  const shown = Math.min(map.minima.length, BASIN_COLORS.length);
  const entries = map.minima.slice(0, shown).map((m, b) => ({
    name: b === BASIN_COLORS.length - 1 && map.minima.length > shown ? names.other : names.basin(m.point),
    color: BASIN_COLORS[b],
  }));
  entries.push({ name: names.none, color: NO_BASIN_COLOR });
  // The title is an entry of its own with no marker, so the legend stays one row under the plot.
  // (No legend group: Plotly stacks a group's entries in a column.)
  const title = { type: "scatter", mode: "markers", x: [null], y: [null], marker: { opacity: 0 }, name: names.title, meta: "basins", hoverinfo: "skip" };
  return [
    title,
    ...entries.map((e) => ({
      type: "scatter",
      mode: "markers",
      x: [null],
      y: [null],
      marker: { symbol: "square", size: 12, color: e.color, opacity: BASIN_OPACITY },
      name: e.name,
      meta: "basins",
      hoverinfo: "skip",
    })),
  ];
}

// Where a basin value (an index into the map's minima) is drawn: its own colour, or the last
// palette colour for every minimum past the palette (the legend's "other minima").
export function basinColorIndex(b) {
  return b < 0 ? -1 : Math.min(b, BASIN_COLORS.length - 1);
}
