// Pure functions from a run's statistics to the charts under the surface: loss and gradient
// norm vs step (median, 10–90 % band, the selected start), η_t vs step, and the histogram of
// the end points by what the Hessian says there. No DOM here.
import { learningRates } from "./schedule.js";
import { COLORS } from "./traces.js";

const AXIS = { color: "#cbd5e1", gridcolor: "#1f2937", zeroline: false };
const SELECTED = "#ffffff";

function translucent(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

function steps(n) {
  return Array.from({ length: n }, (_, k) => k);
}

// Values a log axis can show: a loss or gradient norm of exactly 0 (a start that reached an
// exact minimum, or sits exactly on a saddle) is drawn at half the smallest positive value of
// the chart, or at LOG_FLOOR when nothing is positive, so the axis stays logarithmic instead of
// the chart turning linear and squashing every curve onto 0 (or showing nothing at all).
export const LOG_FLOOR = 1e-12;
export function forLogAxis(series) {
  let least = Infinity;
  for (const s of series) for (const v of s) if (v > 0 && v < least) least = v;
  const floor = Number.isFinite(least) ? least / 2 : LOG_FLOOR;
  return series.map((s) => Array.from(s, (v) => (v === null || Number.isNaN(v) ? null : v > 0 ? v : floor)));
}

// Median line over a shaded 10–90 % band, for each configuration.
function bandTraces(stats, key, labels, suffix, dash = "solid") {
  const traces = [];
  const x = steps(stats.done);
  for (let c = 0; c < stats.configs; c++) {
    const color = COLORS[c % COLORS.length];
    const raw = ["p10", "p90", "p50"].map((q) => stats.series(key, q, c));
    if (!raw[0]) continue;
    const [lo, hi, mid] = forLogAxis(raw);
    const group = `${key}-${c}`;
    traces.push(
      { type: "scatter", mode: "lines", x, y: lo, line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group },
      {
        type: "scatter",
        mode: "lines",
        x,
        y: hi,
        fill: "tonexty",
        fillcolor: translucent(color, 0.18),
        line: { width: 0 },
        hoverinfo: "skip",
        showlegend: false,
        legendgroup: group,
      },
      { type: "scatter", mode: "lines", x, y: mid, line: { color, width: 2, dash }, name: `${labels[c]}${suffix}`, legendgroup: group },
    );
  }
  return traces;
}

// One start's own series (the selected one), read straight from the run.
function startTrace(run, key, selected, name) {
  if (!selected || !run[key] || selected.config >= run.configs || selected.start >= run.starts) return [];
  const y = new Array(run.filled);
  for (let t = 0; t < run.filled; t++) {
    const v = run[key][(t * run.configs + selected.config) * run.starts + selected.start];
    y[t] = Number.isNaN(v) ? null : v;
  }
  return [{ type: "scatter", mode: "lines", x: steps(run.filled), y, line: { color: SELECTED, width: 1.5 }, name }];
}

export function lossChart(run, stats, labels, selected, names) {
  if (!run || !stats) return [];
  return [
    ...bandTraces(stats, "loss", labels, ""),
    ...bandTraces(stats, "testLoss", labels, ` — ${names.test}`, "dot"),
    ...startTrace(run, "loss", selected, names.selected),
    ...startTrace(run, "testLoss", selected, `${names.selected} — ${names.test}`),
  ];
}

export function gradChart(run, stats, labels, selected, names) {
  if (!run || !stats) return [];
  return [...bandTraces(stats, "gradNorm", labels, ""), ...startTrace(run, "gradNorm", selected, names.selected)];
}

export function lrChart(configs, n, labels) {
  const x = steps(n);
  return configs.map((config, c) => ({
    type: "scatter",
    mode: "lines",
    x,
    y: Array.from(learningRates(config, n)),
    line: { color: COLORS[c % COLORS.length], width: 2 },
    name: labels[c],
  }));
}

// End points by verdict, per configuration: `ends` is the done message's {kinds, counts}.
// Where the runs ended, per configuration, as horizontal bars with each bar's share of the
// configuration's starts written on it: first the surface's known minima (lowest loss first, so
// the global one leads; at most MAX_MINIMUM_ROWS, the rest summed), then the verdict the Hessian
// panel gives at each end point.  `name(row)` names a row: {index, point, global} or {kind}.
export const MAX_MINIMUM_ROWS = 4;
export function endKindRows(ends) {
  const minima = ends.minima || [];
  const shown = minima.slice(0, minima.length > MAX_MINIMUM_ROWS ? MAX_MINIMUM_ROWS - 1 : MAX_MINIMUM_ROWS);
  const rows = shown.map((m, index) => ({ index, point: m.point, global: m.global, counts: m.counts }));
  const rest = minima.slice(shown.length);
  if (rest.length) rows.push({ kind: "other_minima", counts: rest[0].counts.map((_, c) => rest.reduce((sum, m) => sum + m.counts[c], 0)) });
  // Verdicts no end point got are left out: the chart is small, and an empty row says nothing.
  const verdicts = ends.kinds.map((kind, k) => ({ kind, counts: ends.counts.map((row) => row[k]) })).filter((row) => row.counts.some((v) => v > 0));
  return [...rows, ...verdicts];
}

// A bar's share written on it: a bar that is there never reads "0 %" (one start of 256).
export function share(count, total) {
  if (!count) return "";
  const percent = Math.round((100 * count) / total);
  return percent < 1 ? "<1 %" : `${percent} %`;
}

export function endKindChart(ends, labels, name) {
  const rows = endKindRows(ends);
  return ends.counts.map((counts, c) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    const x = rows.map((row) => row.counts[c]);
    return {
      type: "bar",
      orientation: "h",
      y: rows.map(name),
      x,
      text: x.map((v) => share(v, total)),
      textposition: "outside",
      cliponaxis: false,
      textfont: { color: "#e5e7eb", size: 12 },
      marker: { color: COLORS[c % COLORS.length] },
      name: labels[c],
    };
  });
}

export function endKindLayout(title) {
  const layout = chartLayout(title, { xTitle: "", barmode: "group" });
  layout.yaxis = { ...layout.yaxis, type: "category", autorange: "reversed", automargin: true };
  layout.xaxis = { ...layout.xaxis, title: { text: "" }, rangemode: "tozero" };
  layout.margin = { ...layout.margin, l: 10, r: 40, b: 40 };
  layout.legend = { ...layout.legend, orientation: "h", x: 0, xanchor: "left", y: -0.12, yanchor: "top" };
  layout.bargap = 0.25;
  return layout;
}

// A vertical line at the current step; `log`: log y axis (losses and gradient norms span
// decades).
// `legend`: false for the step charts, whose colours are the configurations' (the tabs and the
// surface's legend name them): on a laptop-sized chart a legend would cover the curves.
export function chartLayout(title, { t = null, log = false, xTitle = "step", barmode, fromZero = false, legend = true } = {}) {
  return {
    title: { text: title, font: { color: "#e5e7eb", size: 14 }, x: 0.02, xanchor: "left" },
    paper_bgcolor: "#111827",
    plot_bgcolor: "#111827",
    margin: { l: 55, r: 10, t: 30, b: 35 },
    xaxis: { ...AXIS, title: { text: xTitle } },
    // automargin: a log axis over a narrow range gets long tick labels ("4.655×10⁻⁷"), which
    // a fixed margin would cut.
    yaxis: { ...AXIS, type: log ? "log" : "linear", exponentformat: "power", rangemode: fromZero ? "tozero" : "normal", automargin: true },
    // Over the plot's top right corner, not beside it: beside it, a legend takes half of a
    // laptop-sized chart's width.
    legend: { font: { color: "#e5e7eb", size: 11 }, bgcolor: "rgba(17,24,39,0.75)", x: 1, xanchor: "right", y: 1, yanchor: "top" },
    showlegend: legend,
    barmode,
    shapes: t === null ? [] : [cursor(t)],
  };
}

export function cursor(t) {
  return { type: "line", x0: t, x1: t, yref: "paper", y0: 0, y1: 1, line: { color: "#facc15", width: 1 } };
}

// Time per update and per epoch against batch size, measured on the server's device (log–log).
export function timingChart(timing, names) {
  const x = timing.batch_sizes;
  return [
    { type: "scatter", mode: "lines+markers", x, y: timing.update_ms, name: names.update, line: { color: COLORS[0], width: 3 }, marker: { size: 8 } },
    { type: "scatter", mode: "lines+markers", x, y: timing.epoch_ms, name: names.epoch, line: { color: COLORS[1], width: 3, dash: "dot" }, marker: { size: 8 } },
  ];
}

export function timingLayout(title, xTitle) {
  const layout = chartLayout(title, { log: true, xTitle });
  layout.xaxis = { ...layout.xaxis, type: "log", dtick: Math.log10(4) };
  layout.yaxis = { ...layout.yaxis, title: { text: "ms" } };
  return layout;
}

// A layout with every font size × k (presentation mode); sizes Plotly defaults are written out.
export function scaled(layout, k) {
  if (k === 1) return layout;
  const font = (f, base) => ({ ...(f || {}), size: Math.round(((f && f.size) || base) * k) });
  const out = { ...layout, font: font(layout.font, 12) };
  if (layout.title) out.title = { ...layout.title, font: font(layout.title.font, 16) };
  if (layout.legend) out.legend = { ...layout.legend, font: font(layout.legend.font, 12) };
  for (const key of ["xaxis", "yaxis"]) {
    if (layout[key]) out[key] = { ...layout[key], tickfont: font(layout[key].tickfont, 12), title: { ...(layout[key].title || {}), font: font((layout[key].title || {}).font, 12) } };
  }
  if (layout.scene) out.scene = { ...layout.scene, xaxis: { ...layout.scene.xaxis, tickfont: font(layout.scene.xaxis?.tickfont, 11) }, yaxis: { ...layout.scene.yaxis, tickfont: font(layout.scene.yaxis?.tickfont, 11) }, zaxis: { ...layout.scene.zaxis, tickfont: font(layout.scene.zaxis?.tickfont, 11) } };
  return out;
}
