// Pure functions from a lab run and the server's answers about one network to Plotly traces:
// the task with the picked network's decision boundary or fitted curve, the loss on a plane
// with the paths, the curves over training (median and 10–90 % band over networks, the picked
// network in white), the Hessian's spectrum, λmax against 2/η, and the minimum ratio against
// the training loss over networks. No DOM here.
import { forLogAxis } from "./charts.js";
import { band } from "./labstate.js";
import { BASIN_COLORS, COLORS } from "./palette.js";

const PICKED = "#ffffff";

function translucent(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

// Median line over a shaded 10–90 % band for each configuration, of one measure.
export function labBandTraces(run, measure, labels, { suffix = "", dash = "solid", log = true } = {}) {
  if (!run || !run.steps.length) return [];
  const out = [];
  for (let c = 0; c < run.configs; c++) {
    const b = band(run.records[measure][c]);
    if (b.median.every((v) => v === null)) continue;
    const [lo, hi, mid] = log ? forLogAxis([b.low, b.high, b.median]) : [b.low, b.high, b.median];
    const color = COLORS[c % COLORS.length];
    const group = `${measure}-${c}`;
    out.push(
      { type: "scatter", mode: "lines", x: run.steps, y: lo, line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group },
      { type: "scatter", mode: "lines", x: run.steps, y: hi, fill: "tonexty", fillcolor: translucent(color, 0.15), line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group },
      { type: "scatter", mode: "lines", x: run.steps, y: mid, line: { color, width: 2, dash }, name: `${labels[c]}${suffix}`, legendgroup: group, meta: { config: c } },
    );
  }
  return out;
}

// The picked network's own curve of one measure.
export function pickedTrace(run, measure, pick, name, dash = "solid") {
  if (!run || !pick || pick.config >= run.configs || pick.network >= run.networks) return [];
  const y = run.records[measure][pick.config].map((row) => row[pick.network]);
  if (y.every((v) => v === null)) return [];
  return [{ type: "scatter", mode: "lines", x: run.steps, y, line: { color: PICKED, width: 1.5, dash }, name }];
}

// Training loss (solid) and test loss (dotted) over training, and where each configuration's
// median test loss was lowest when it rose again afterwards: where stopping early would have
// stopped.
export function labLossTraces(run, labels, pick, names) {
  return [
    ...labBandTraces(run, "train_loss", labels),
    ...labBandTraces(run, "test_loss", labels, { suffix: ` — ${names.test}`, dash: "dot" }),
    ...pickedTrace(run, "train_loss", pick, names.picked),
    ...pickedTrace(run, "test_loss", pick, `${names.picked} — ${names.test}`, "dot"),
    ...earlyStops(run, names),
  ];
}

// At most one marker per configuration, at its median test loss's minimum, when the last
// record is at least half as much again above it (noise alone rarely does that); the words only
// on the first, so two markers do not write over each other.
export function earlyStops(run, names) {
  if (!run || run.steps.length < 3) return [];
  const out = [];
  for (let c = 0; c < run.configs; c++) {
    const median = band(run.records.test_loss[c]).median;
    let best = -1;
    median.forEach((v, k) => {
      if (v !== null && (best < 0 || v < median[best])) best = k;
    });
    const last = median[median.length - 1];
    if (best < 0 || best === median.length - 1 || last === null || last < 1.5 * median[best]) continue;
    out.push({
      type: "scatter",
      mode: "markers+text",
      x: [run.steps[best]],
      y: [median[best]],
      text: [out.length ? "" : names.earlyStop],
      textposition: "bottom right",
      textfont: { color: "#facc15", size: 12 },
      marker: { color: "#facc15", size: 11, symbol: "circle-open", line: { width: 2 } },
      name: names.earlyStop,
      meta: { earlyStop: c },
    });
  }
  return out;
}

// Accuracy over training (classification only): training solid, test dotted.
export function labAccTraces(run, labels, pick, names) {
  if (!run || run.task.kind !== "classify") return [];
  return [
    ...labBandTraces(run, "train_acc", labels, { log: false }),
    ...labBandTraces(run, "test_acc", labels, { suffix: ` — ${names.test}`, dash: "dot", log: false }),
    ...pickedTrace(run, "test_acc", pick, `${names.picked} — ${names.test}`, "dot"),
  ];
}

export function labGradTraces(run, labels, pick, names) {
  return [...labBandTraces(run, "grad_norm", labels), ...pickedTrace(run, "grad_norm", pick, names.picked)];
}

// The final record's median of a measure for each configuration (null where all diverged).
export function finalMedians(run, measure) {
  if (!run || !run.steps.length) return [];
  return run.records[measure].map((rows) => band([rows[rows.length - 1]]).median[0]);
}

// The task's points, and the picked network's verdict over its inputs: the class regions (2-D)
// or the fitted curve (1-D).  `field`: POST /api/nets/field's answer, or null while it comes.
export function taskTraces(task, field, names) {
  const out = [];
  if (task.input_dim === 1) {
    out.push(
      { type: "scatter", mode: "markers", x: task.x_train.map((p) => p[0]), y: task.y_train, marker: { color: COLORS[1], size: 5 }, name: names.train },
      { type: "scatter", mode: "markers", x: task.x_test.map((p) => p[0]), y: task.y_test, marker: { color: COLORS[0], size: 6, symbol: "x" }, name: names.test },
    );
    if (field) out.push({ type: "scatter", mode: "lines", x: field.x, y: field.value, line: { color: PICKED, width: 2.5 }, name: names.fit });
    return out;
  }
  if (task.input_dim > 2) return out;
  if (field) {
    const classes = task.classes;
    // Each class a colour, faded where the network is unsure (its probability near 1 / classes).
    const z = field.value.map((row, j) => row.map((k, i) => k + Math.min(0.999, Math.max(0, (field.confidence[j][i] - 1 / classes) / (1 - 1 / classes)))));
    const scale = [];
    for (let k = 0; k < classes; k++) {
      const color = BASIN_COLORS[k % BASIN_COLORS.length];
      // Plotly wants the scale to run from 0 to exactly 1.
      const end = k + 1 === classes ? 1 : (k + 1) / classes - 1e-6;
      scale.push([k / classes, translucent(color, 0.05)], [end, translucent(color, 0.55)]);
    }
    out.push({ type: "heatmap", x: field.x, y: field.y, z, zmin: 0, zmax: classes, colorscale: scale, showscale: false, hoverinfo: "skip", zsmooth: "best" });
  }
  const byClass = (xs, ys, k) => xs.filter((_, i) => ys[i] === k);
  for (let k = 0; k < task.classes; k++) {
    const color = BASIN_COLORS[k % BASIN_COLORS.length];
    const tr = byClass(task.x_train, task.y_train, k);
    const te = byClass(task.x_test, task.y_test, k);
    out.push(
      { type: "scatter", mode: "markers", x: tr.map((p) => p[0]), y: tr.map((p) => p[1]), marker: { color, size: 5, line: { color: "#0f172a", width: 0.5 } }, name: `${names.train} ${k}`, legendgroup: `c${k}` },
      { type: "scatter", mode: "markers", x: te.map((p) => p[0]), y: te.map((p) => p[1]), marker: { color, size: 6, symbol: "x-thin-open", line: { color, width: 1.5 } }, name: `${names.test} ${k}`, legendgroup: `c${k}` },
    );
  }
  return out;
}

// The loss on the plane (log₁₀ of the training loss, or of the test loss), the picked
// network's path and the other configurations' paths of the same initialisation.
export function planeTraces(plane, labels, { test = false, names }) {
  const z = (test ? plane.test : plane.train).map((row) => row.map((v) => (v === null || !(v > 0) ? null : Math.log10(v))));
  const out = [
    {
      type: "contour",
      x: plane.x,
      y: plane.y,
      z,
      colorscale: "Viridis",
      contours: { coloring: "heatmap" },
      ncontours: 24,
      colorbar: { title: { text: names.colorbar, side: "right" }, thickness: 10, tickfont: { color: "#e5e7eb" } },
      hovertemplate: "α %{x:.3g}, β %{y:.3g}: log₁₀ L %{z:.3g}<extra></extra>",
    },
  ];
  for (const p of [plane.path, ...plane.others]) {
    const color = COLORS[p.config % COLORS.length];
    out.push({ type: "scatter", mode: "lines+markers", x: p.x, y: p.y, line: { color, width: 2 }, marker: { size: 3, color }, name: labels[p.config] || `#${p.config + 1}` });
  }
  // Where the networks started (the configurations share their initialisations).
  if (plane.path.x.length) out.push({ type: "scatter", mode: "markers", x: [plane.path.x[0]], y: [plane.path.y[0]], marker: { symbol: "circle-open", size: 12, color: PICKED, line: { width: 2 } }, name: names.start });
  out.push({ type: "scatter", mode: "markers", x: [0], y: [0], marker: { symbol: "star", size: 14, color: PICKED, line: { color: "#0f172a", width: 1 } }, name: names.picked });
  return out;
}

// The eigenvalues of the picked network's Hessian as a histogram (counts on a log axis: most
// eigenvalues sit near 0, a few far out).
export function spectrumTraces(h, names) {
  if (!h) return [];
  return [{ type: "histogram", x: h.eigenvalues, nbinsx: 80, marker: { color: COLORS[1] }, name: names.eigenvalues }];
}

// λmax along the picked network's training, against 2/η (where plain gradient descent stops
// being stable on a quadratic: the edge of stability).
export function sharpnessTraces(h, lr, names) {
  if (!h || !h.sharpness.steps.length) return [];
  const s = h.sharpness;
  const out = [{ type: "scatter", mode: "lines+markers", x: s.steps, y: s.lambda_max, line: { color: COLORS[0], width: 2 }, marker: { size: 4 }, name: "λmax" }];
  if (lr) out.push({ type: "scatter", mode: "lines", x: [s.steps[0], s.steps[s.steps.length - 1]], y: [2 / lr, 2 / lr], line: { color: "#facc15", dash: "dash", width: 1.5 }, name: names.edge });
  return out;
}

// The loss along the straight line from the picked network (α = 0) to another (α = 1).
export function lineTraces(line, names) {
  if (!line) return [];
  const at = (a) => line.alpha.reduce((best, v, i) => (Math.abs(v - a) < Math.abs(line.alpha[best] - a) ? i : best), 0);
  const ends = [at(0), at(1)];
  return [
    { type: "scatter", mode: "lines", x: line.alpha, y: line.train, line: { color: COLORS[1], width: 2 }, name: names.train },
    { type: "scatter", mode: "lines", x: line.alpha, y: line.test, line: { color: COLORS[0], width: 2, dash: "dot" }, name: names.test },
    {
      type: "scatter",
      mode: "markers",
      x: [0, 1],
      y: ends.map((i) => line.train[i]),
      marker: { symbol: ["star", "circle-open"], size: 13, color: PICKED, line: { width: 2 } },
      name: names.ends,
    },
  ];
}

// The homework's figure: minimum ratio (share of positive eigenvalues) against training loss,
// one dot per network, the full Hessian's and its per-layer blocks'.
export function ratioTraces(h, pick, names) {
  if (!h || !h.networks) return [];
  const n = h.networks;
  const at = n.network.indexOf(pick.network);
  const out = [
    { type: "scatter", mode: "markers", x: n.train_loss, y: n.minimum_ratio, marker: { color: COLORS[1], size: 8 }, name: names.full, customdata: n.network },
    { type: "scatter", mode: "markers", x: n.train_loss, y: n.per_layer_ratio, marker: { color: COLORS[0], size: 7, symbol: "diamond-open" }, name: names.perLayer, customdata: n.network },
  ];
  if (at >= 0) out.push({ type: "scatter", mode: "markers", x: [n.train_loss[at]], y: [n.minimum_ratio[at]], marker: { color: PICKED, size: 13, symbol: "circle-open", line: { width: 2 } }, name: names.picked });
  return out;
}
