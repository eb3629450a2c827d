// Pure functions from state and data to Plotly traces and layouts. No DOM here.

export const COLORS = ["#f97316", "#22d3ee", "#a3e635", "#f472b6"];
const TRAILS = 60; // trajectories drawn as lines; every start is drawn as a dot

const AXIS = { color: "#cbd5e1", gridcolor: "#1f2937", zeroline: false };

export function surfaceLayout(surface, title) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  return {
    title: { text: title, font: { color: "#e5e7eb", size: 18 } },
    paper_bgcolor: "#111827",
    plot_bgcolor: "#111827",
    margin: { l: 50, r: 20, t: 40, b: 40 },
    xaxis: { ...AXIS, range: [x0, x1], title: { text: "θ₁" } },
    yaxis: { ...AXIS, range: [y0, y1], title: { text: "θ₂" } },
    showlegend: true,
    legend: { font: { color: "#e5e7eb" }, bgcolor: "rgba(17,24,39,0.7)", orientation: "h", x: 0, y: -0.12 },
    uirevision: surface.name,
  };
}

// The loss is shown on a log scale above its minimum, so a narrow valley and a plateau are
// both readable.
export function contourTrace(grid) {
  let low = Infinity;
  for (const row of grid.z) for (const v of row) if (v !== null && v < low) low = v;
  const z = grid.z.map((row) => row.map((v) => (v === null ? null : Math.log10(v - low + 1e-3))));
  return {
    type: "contour",
    x: grid.x,
    y: grid.y,
    z,
    colorscale: "Viridis",
    contours: { coloring: "heatmap", showlines: true },
    line: { color: "rgba(255,255,255,0.25)", width: 0.5 },
    colorbar: { title: { text: "log₁₀(L − min)", font: { color: "#e5e7eb" } }, tickfont: { color: "#e5e7eb" } },
    hovertemplate: "θ = (%{x:.3f}, %{y:.3f})<extra></extra>",
    name: "loss",
    showlegend: false,
  };
}

export function criticalPointTrace(surface) {
  const pts = surface.critical_points;
  const symbol = { minimum: "star", maximum: "triangle-up", saddle: "x" };
  return {
    type: "scatter",
    mode: "markers",
    x: pts.map((p) => p.point[0]),
    y: pts.map((p) => p.point[1]),
    marker: { symbol: pts.map((p) => symbol[p.kind]), size: 12, color: "#facc15", line: { color: "#000", width: 1 } },
    text: pts.map((p) => p.kind),
    hovertemplate: "%{text} (%{x:.3f}, %{y:.3f})<extra></extra>",
    name: "critical points",
  };
}

function offset(run, t, c) {
  return (t * run.configs + c) * run.starts;
}

// `webgl`: whether the browser can draw WebGL traces (10,000 moving dots need it); without it
// the same traces are drawn as SVG.
export function trajectoryTraces(run, t, labels, webgl = true) {
  const traces = [];
  if (!run) return traces;
  const type = webgl ? "scattergl" : "scatter";
  const S = run.starts;
  const upto = Math.min(t, run.filled - 1);
  for (let c = 0; c < run.configs; c++) {
    const color = COLORS[c % COLORS.length];
    const xs = [];
    const ys = [];
    const trails = Math.min(S, TRAILS);
    for (let s = 0; s < trails; s++) {
      for (let k = 0; k <= upto; k++) {
        const i = 2 * (offset(run, k, c) + s);
        xs.push(run.positions[i]);
        ys.push(run.positions[i + 1]);
      }
      xs.push(null);
      ys.push(null);
    }
    traces.push({
      type,
      mode: "lines",
      x: xs.map((v) => (Number.isNaN(v) ? null : v)),
      y: ys.map((v) => (Number.isNaN(v) ? null : v)),
      line: { color, width: 1.5 },
      opacity: 0.7,
      hoverinfo: "skip",
      name: labels[c],
      legendgroup: String(c),
    });
    const dx = new Array(S);
    const dy = new Array(S);
    const base = 2 * offset(run, Math.max(upto, 0), c);
    for (let s = 0; s < S; s++) {
      const x = run.positions[base + 2 * s];
      const y = run.positions[base + 2 * s + 1];
      dx[s] = Number.isNaN(x) ? null : x;
      dy[s] = Number.isNaN(y) ? null : y;
    }
    traces.push({
      type,
      mode: "markers",
      x: dx,
      y: dy,
      marker: { color, size: 6, line: { color: "#000", width: 0.5 } },
      hovertemplate: "(%{x:.3f}, %{y:.3f})<extra></extra>",
      name: labels[c] + " ·",
      legendgroup: String(c),
      showlegend: false,
    });
  }
  return traces;
}

function median(values) {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

export function lossTraces(run, labels, names) {
  if (!run) return [];
  const traces = [];
  const steps = [];
  for (let k = 0; k < run.filled; k++) steps.push(k);
  for (let c = 0; c < run.configs; c++) {
    const series = (array) => steps.map((k) => median(Array.from(array.subarray(offset(run, k, c), offset(run, k, c) + run.starts))));
    traces.push({ type: "scatter", mode: "lines", x: steps, y: series(run.loss), line: { color: COLORS[c % COLORS.length], width: 2 }, name: `${labels[c]} — ${names.loss}` });
    if (run.testLoss) {
      traces.push({ type: "scatter", mode: "lines", x: steps, y: series(run.testLoss), line: { color: COLORS[c % COLORS.length], width: 2, dash: "dot" }, name: `${labels[c]} — ${names.test}` });
    }
  }
  return traces;
}

export function lossLayout(t) {
  return {
    paper_bgcolor: "#111827",
    plot_bgcolor: "#111827",
    margin: { l: 50, r: 20, t: 10, b: 35 },
    xaxis: { ...AXIS, title: { text: "step" } },
    yaxis: { ...AXIS, title: { text: "loss" } },
    legend: { font: { color: "#e5e7eb" } },
    shapes: [{ type: "line", x0: t, x1: t, yref: "paper", y0: 0, y1: 1, line: { color: "#facc15", width: 1 } }],
  };
}

// The Hessian's eigenvectors as arrows through the analysed point: red for a negative
// eigenvalue (the way down out of a saddle), green for a positive one.
export function eigenTraces(analysis, point, surface) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  const scale = 0.12 * Math.max(x1 - x0, y1 - y0);
  const traces = [];
  for (let i = 0; i < 2; i++) {
    const v = [analysis.eigenvectors[0][i], analysis.eigenvectors[1][i]];
    const lam = analysis.eigenvalues[i];
    traces.push({
      type: "scatter",
      mode: "lines+markers",
      x: [point[0] - scale * v[0], point[0] + scale * v[0]],
      y: [point[1] - scale * v[1], point[1] + scale * v[1]],
      line: { color: lam < 0 ? "#ef4444" : "#22c55e", width: 4 },
      marker: { symbol: "arrow", angleref: "previous", size: 12 },
      name: `λ${i + 1} = ${lam === null ? "?" : lam.toPrecision(4)}`,
      hoverinfo: "name",
    });
  }
  return traces;
}

const BASIN_COLORS = ["#ef4444", "#3b82f6", "#22c55e", "#eab308", "#a855f7", "#ec4899", "#14b8a6", "#f97316"];

// Which known minimum each start of a grid reaches, as a translucent categorical heatmap
// (grey where a start reached none or diverged).
export function basinTrace(map) {
  const n = map.grid;
  const k = Math.max(1, map.minima.length);
  const z = [];
  for (let i = 0; i < n; i++) z.push(map.basin.slice(i * n, (i + 1) * n).map((b) => (b < 0 ? -1 : b % BASIN_COLORS.length)));
  // Stepped scale: value c ∈ {−1 … k−1} sits at (c + 1)/k; each owns the band around it.
  const colors = ["#6b7280", ...Array.from({ length: k }, (_, b) => BASIN_COLORS[b % BASIN_COLORS.length])];
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
    opacity: 0.6,
    showscale: false,
    hoverinfo: "skip",
    name: "basins",
  };
}
