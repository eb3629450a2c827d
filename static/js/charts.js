// Pure functions from a run's statistics to the charts under the surface: loss and gradient
// norm vs step (median, 10–90 % band, the selected start), η_t vs step, and the histogram of
// the minimum ratio over the end points. No DOM here.
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

// Median line over a shaded 10–90 % band, for each configuration.
function bandTraces(stats, key, labels, suffix, dash = "solid") {
  const traces = [];
  const x = steps(stats.done);
  for (let c = 0; c < stats.configs; c++) {
    const color = COLORS[c % COLORS.length];
    const lo = stats.series(key, "p10", c);
    if (!lo) continue;
    const group = `${key}-${c}`;
    traces.push(
      { type: "scatter", mode: "lines", x, y: lo, line: { width: 0 }, hoverinfo: "skip", showlegend: false, legendgroup: group },
      {
        type: "scatter",
        mode: "lines",
        x,
        y: stats.series(key, "p90", c),
        fill: "tonexty",
        fillcolor: translucent(color, 0.18),
        line: { width: 0 },
        hoverinfo: "skip",
        showlegend: false,
        legendgroup: group,
      },
      { type: "scatter", mode: "lines", x, y: stats.series(key, "p50", c), line: { color, width: 2, dash }, name: `${labels[c]}${suffix}`, legendgroup: group },
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

// The lecture's minimum ratio takes the values 0, ½ and 1 on a 2-parameter surface.
export const RATIO_BINS = [0, 0.5, 1];

export function ratioCounts(ratios) {
  const counts = [0, 0, 0];
  let diverged = 0;
  for (const r of ratios) {
    if (r === null) diverged += 1;
    else counts[RATIO_BINS.indexOf(r)] += 1;
  }
  return { counts, diverged };
}

export function ratioChart(ratios, labels, binNames) {
  if (!ratios) return [];
  return ratios.map((row, c) => ({
    type: "bar",
    x: binNames,
    y: ratioCounts(row).counts,
    marker: { color: COLORS[c % COLORS.length] },
    name: labels[c],
  }));
}

// A vertical line at the current step; `log`: log y axis (losses and gradient norms span
// decades).
export function chartLayout(title, { t = null, log = false, xTitle = "step", barmode, fromZero = false } = {}) {
  return {
    title: { text: title, font: { color: "#e5e7eb", size: 14 }, x: 0.02, xanchor: "left" },
    paper_bgcolor: "#111827",
    plot_bgcolor: "#111827",
    margin: { l: 55, r: 10, t: 30, b: 35 },
    xaxis: { ...AXIS, title: { text: xTitle } },
    yaxis: { ...AXIS, type: log ? "log" : "linear", exponentformat: "power", rangemode: fromZero ? "tozero" : "normal" },
    legend: { font: { color: "#e5e7eb", size: 11 }, bgcolor: "rgba(17,24,39,0.6)" },
    showlegend: true,
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
