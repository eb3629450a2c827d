// The charts under the surface: the loss chart and, beside it, the chart a scene talks about
// (gradient norm, η_t, where the runs end, time per update), the others a tab away.  This view
// owns those regions of the page; what they draw comes from charts.js (pure).
import {
  chartLayout,
  cursor,
  endKindChart,
  endKindLayout,
  gradChart,
  lossChart,
  lrChart,
  scaled,
  timingChart,
  timingLayout,
} from "./charts.js";
import { pointLabel } from "./labels.js";

export const CHART_TABS = ["grad", "lr", "ratio", "timing"];
const STREAM_CHART_MS = 400; // while a run streams in, its charts redraw at most this often

// The tab shown after a step of `delta` (±1) from `current`, wrapping round.
export function nextTab(current, delta) {
  const i = CHART_TABS.indexOf(current);
  return CHART_TABS[(i + delta + CHART_TABS.length) % CHART_TABS.length];
}

// `app` holds the run, its statistics, the state and the chart shown; `labels()` names the
// configurations; `getTiming()` fetches the device's time per update; `plotConfig` is Plotly's.
export function createChartView({ app, t, language, labels, status, getTiming, plotConfig }) {
  const $ = (id) => document.getElementById(id);
  // Each chart is redrawn only when what it shows changed (keys below): a full chart redraw
  // costs tens of milliseconds, and a slider drag asks for a new run every frame.
  const keys = {};
  let cursorAt = 0;
  let streamedAt = 0;

  function drawChart(id, key, traces, layout) {
    if (keys[id] === key) return;
    keys[id] = key;
    window.Plotly.react(id, traces(), scaled(layout(), app.fontScale), plotConfig);
  }

  // A row of the end-point chart: a known minimum (where; the global one named) or a verdict.
  function endRowName(row) {
    if (row.kind !== undefined) return t(`end_${row.kind}`);
    const where = pointLabel(row.point);
    return row.global ? t("end_at_global", { where }) : t("end_at_minimum", { where });
  }

  function draw({ streaming = false } = {}) {
    if (!window.Plotly) return;
    const names = { test: t("test_loss"), selected: t("selected") };
    const time = app.run ? app.time : null;
    const sel = app.state.selected;
    const run = app.run;
    // While a run streams in, redrawn at most every STREAM_CHART_MS (a short run is done
    // before that and is drawn once), then when it is done.
    if (streaming && performance.now() - streamedAt < STREAM_CHART_MS) return;
    if (streaming) streamedAt = performance.now();
    const progress = run ? app.stats.done : "none";
    const runKey = `${run ? run.id : -1}|${progress}|${JSON.stringify(sel)}|${language()}`;
    const step = { t: time, xTitle: t("step_axis"), legend: false };
    drawChart("loss-chart", runKey, () => lossChart(run, app.stats, labels(), sel, names), () => chartLayout(t("loss_title"), { ...step, log: true }));
    drawChart("grad-chart", runKey, () => gradChart(run, app.stats, labels(), sel, names), () => chartLayout(t("grad_title"), { ...step, log: true }));
    drawChart(
      "lr-chart",
      `${JSON.stringify(app.state.configs)}|${app.state.steps}|${language()}`,
      () => lrChart(app.state.configs, app.state.steps, labels()),
      () => chartLayout(t("lr_title"), { ...step, fromZero: true }),
    );
    // Where the runs end: which known minimum, and what the Hessian says there (a minimum
    // ratio only where the gradient vanishes and no eigenvalue is 0).
    drawChart(
      "ratio-chart",
      `${run ? run.id : -1}|${app.ratios !== null}|${language()}`,
      () => (app.ratios && app.endKinds ? endKindChart(app.endKinds, labels(), endRowName) : []),
      () => endKindLayout(t("ratio_title")),
    );
    if (app.chart === "timing") drawTiming();
  }

  // The step cursor on the time charts; throttled while playing, where it is the least of it.
  function moveCursor(force = false) {
    const now = performance.now();
    if (!force && now - cursorAt < 120) return;
    cursorAt = now;
    for (const id of ["loss-chart", "grad-chart", "lr-chart"]) {
      const el = $(id);
      if (el && el.layout) window.Plotly.relayout(el, { shapes: [cursor(app.time)] });
    }
  }

  // The chart beside the loss chart.  A Plotly chart drawn while hidden has no size, so the
  // shown one is resized (or drawn) as it appears.
  function show(name) {
    app.chart = CHART_TABS.includes(name) ? name : "grad";
    for (const tab of CHART_TABS) {
      const shown = tab === app.chart;
      $(`tab-${tab}`).setAttribute("aria-selected", String(shown));
      $(`tab-${tab}`).tabIndex = shown ? 0 : -1;
      $(`${tab}-chart`).hidden = !shown;
    }
    const el = $(`${app.chart}-chart`);
    if (el.layout && window.Plotly) window.Plotly.Plots.resize(el);
    if (app.chart === "timing") showTiming();
  }

  async function showTiming() {
    if (!app.batchTiming) {
      status(t("timing_measuring"));
      try {
        app.batchTiming = await getTiming();
      } catch (err) {
        status(`${t("error")}: ${err.message}`);
        return;
      }
    }
    drawTiming();
  }

  function drawTiming() {
    const data = app.batchTiming;
    if (!data || !window.Plotly) return;
    const names = { update: t("timing_update"), epoch: t("timing_epoch", { n: data.n_examples }) };
    const layout = scaled(timingLayout(t("timing_title", { device: data.device }), t("batch_axis")), app.fontScale);
    window.Plotly.react("timing-chart", timingChart(data, names), layout, plotConfig);
  }

  // Everything redrawn from scratch (the type size changed), after the boxes are measured again.
  function redrawAll() {
    for (const key of Object.keys(keys)) delete keys[key];
    for (const id of ["loss-chart", `${app.chart}-chart`]) if ($(id).layout) window.Plotly.Plots.resize($(id));
    draw();
  }

  function bind() {
    for (const tab of CHART_TABS) $(`tab-${tab}`).addEventListener("click", () => show(tab));
    // Arrow keys move between the tabs, as in any tab list.
    $("tab-grad").parentElement.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      event.preventDefault();
      event.stopPropagation();
      const next = nextTab(app.chart, event.key === "ArrowRight" ? 1 : -1);
      show(next);
      $(`tab-${next}`).focus();
    });
  }

  // A run started: its first streamed redraw waits STREAM_CHART_MS (a short run is drawn once, done).
  function started() {
    streamedAt = performance.now();
  }

  return { draw, moveCursor, show, drawTiming, redrawAll, bind, started };
}
