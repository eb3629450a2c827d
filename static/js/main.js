// The one module that touches the DOM: builds the controls, keeps them and the URL in step
// with the state, streams runs and draws them with Plotly.
import { FormulaError, analyze, basinMap, getCustom, getGrid, getHealth, getLessons, getLimits, getOptimizers, getSurfaces, getTiming, RunStream } from "./api.js";
import { scaled } from "./charts.js";
import { createChartView } from "./chartview.js";
import { language, setLanguage, t } from "./i18n.js";
import { movingScene, nearestDot, paintScene } from "./overlay.js";
import {
  addDefaultStarts,
  addGridStarts,
  addRandomStarts,
  clearStarts,
  configBatch,
  defaultCustom,
  fromHash,
  optimizerRequest,
  runRequest,
  sceneState,
  surfaceRequest,
  switchSurface,
  toHash,
} from "./state.js";
import { pointLabel, runLabels } from "./labels.js";
import { createLessonView } from "./lessonview.js";
import { createExportView } from "./exportview.js";
import { createHessianView } from "./hessianview.js";
import { createOptimizerView } from "./optimizerview.js";
import { slider } from "./widgets.js";
import { stepsPerFrame } from "./playback.js";
import { RunStats } from "./stats.js";
import {
  basinLegend,
  basinTrace,
  contourTrace,
  criticalPointTrace,
  eigenTraces,
  layout3d,
  legendTraces,
  selectedTraces,
  surface3dTraces,
  surfaceLayout,
  surfaceModel,
  testContourTrace,
  trajectoryTraces,
} from "./traces.js";

const $ = (id) => document.getElementById(id);
// An offline app: no Plotly logo, no "edit in Chart Studio" or cloud links.
const PLOT_CONFIG = {
  displaylogo: false,
  responsive: true,
  showLink: false,
  showSendToCloud: false,
  showEditInChartStudio: false,
  modeBarButtonsToRemove: ["toImage", "sendDataToCloud"],
};
const BASIN_PASSES = [32, 64, 128]; // coarse first, so the map appears at once and sharpens

const app = {
  surfaces: [],
  optax: [], // GET /api/optimizers' optax list: names, hyperparameter ranges, static values
  // Everything the server declares that the page clamps or offers: {surfaces, fields, presets,
  // optax, limits} (GET /api/surfaces, /api/optimizers, /api/limits).
  catalog: null,
  custom: null, // the typed formula's surface as POST /api/custom described it
  state: null,
  grid: null, // {train, test} models of the loss on a grid
  run: null,
  stats: null,
  ratios: null, // minimum ratio of every end point, [C][S], when the run is done
  endKinds: null, // {kinds, counts}: how many end points get each verdict, per configuration
  anyDiverged: false, // whether some start of the finished run diverged (its legend entry)
  drawn: null, // what the contour view's canvas layer shows now (overlay.js movingScene)
  time: 0,
  playing: false,
  analysis: null,
  analysisPoint: null,
  basins: null,
  basinToken: 0,
  timing: { changedAt: 0, firstDrawAt: 0, doneDrawAt: 0, chartsDrawAt: 0 }, // performance.now() stamps, read by bench/browser.py
  playback: { frames: 0, since: 0, until: 0 },
  lessons: [], // GET /api/lessons
  guide: null,
  lesson: null, // {lesson, scene}: the scene shown, indices into lessons
  batchTiming: null, // GET /api/timing, fetched when a scene first shows it
  chart: "grad", // the chart beside the loss chart (CHART_TABS)
  fontScale: 1, // 1.5 in presentation mode
};
window.errorscape = app; // for people poking at the page, and for its tests and benchmark

function surface() {
  if (app.state.surface === "custom") return app.custom || customSurface(null);
  return app.surfaces.find((s) => s.name === app.state.surface);
}

// The typed formula as a surface record like GET /api/surfaces' (from POST /api/custom's
// answer, or a placeholder for the controls until it arrives: no run starts before it).
function customSurface(answer) {
  const text = answer ? answer.formula : app.state.custom.formula;
  return {
    name: "custom",
    title: { en: text, "zh-TW": text, "zh-CN": text },
    description: answer ? answer.description : { en: "", "zh-TW": "", "zh-CN": "" },
    params: answer ? answer.params : app.catalog.limits.custom_params,
    domain: app.state.custom.domain,
    critical_points: [],
    default_starts: answer ? answer.default_starts : [],
    has_test_set: false,
    n_examples: answer ? answer.n_examples : 64,
  };
}

// The configurations' names in legends and labels (labels.js).
function labels() {
  return runLabels(app.state, app.catalog, t, surface().n_examples);
}

// --- building controls -----------------------------------------------------------------

function buildSurfacePicker() {
  const sel = $("surface");
  const own = document.createElement("option");
  own.value = "custom";
  own.textContent = t("custom");
  sel.replaceChildren(
    ...app.surfaces.map((s) => {
      const o = document.createElement("option");
      o.value = s.name;
      o.textContent = s.title[language()];
      return o;
    }),
    own,
  );
  sel.value = app.state.surface;
  const custom = app.state.surface === "custom";
  $("custom-box").hidden = !custom;
  // A refused formula stays in the box (with its error) for the person to mend, whatever the
  // surface drawn meanwhile.
  if (custom && $("formula").getAttribute("aria-invalid") !== "true") {
    $("formula").value = app.state.custom.formula;
    const [[x0, x1], [y0, y1]] = app.state.custom.domain;
    for (const [id, v] of [["domain-x0", x0], ["domain-x1", x1], ["domain-y0", y0], ["domain-y1", y1]]) $(id).value = String(v);
  }
  $("surface-description").textContent = surface().description[language()];
  const box = $("surface-params");
  box.replaceChildren(
    ...surface().params.map((p) =>
      slider({
        id: `param-${p.name}`,
        label: (p.labels || {})[language()] || p.name,
        min: p.min,
        max: p.max,
        step: (p.max - p.min) / 200,
        value: app.state.params[p.name] ?? p.default,
        onInput: (v) => {
          app.state.params[p.name] = v;
          changed({ grid: true });
        },
      }),
    ),
  );
  // Minibatch noise does nothing at full batch: say so beside its slider.
  const noise = $("param-noise");
  if (noise) {
    const hint = document.createElement("p");
    hint.className = "description";
    hint.id = "noise-hint";
    hint.textContent = t("noise_full_batch");
    hint.hidden = app.state.batch > 0 && app.state.batch < surface().n_examples;
    noise.closest("label").after(hint);
  }
  $("batch-size").max = String(surface().n_examples);
  const test = $("show-test");
  test.disabled = !surface().has_test_set;
  test.checked = app.state.test && surface().has_test_set;
  test.parentElement.title = surface().has_test_set ? "" : t("no_test");
}

// The optimizer panel (optimizerview.js).
const optimizerView = createOptimizerView({ app, t, surface: () => surface(), changed: (options) => changed(options), writeHash: () => writeHash() });
const buildOptimizer = () => optimizerView.render();
const buildConfigTabs = () => optimizerView.renderTabs();

function syncControls() {
  $("steps").max = String(app.catalog.limits.max_steps);
  $("seed").max = String(app.catalog.limits.max_seed);
  $("steps").value = String(app.state.steps);
  $("batch-size").value = String(app.state.batch);
  $("seed").value = String(app.state.seed);
  $("language").value = app.state.lang;
  $("speed").value = String(app.state.speed);
  for (const radio of document.querySelectorAll("input[name=view]")) radio.checked = radio.value === app.state.view;
}

// --- running ------------------------------------------------------------------------------

let pending = null;

function writeHash() {
  history.replaceState(null, "", toHash(app.state));
}

// The typed formula: checked and drawn by the server. A refused one keeps the last good
// formula in place and shows where the new one is wrong.
function showFormulaError(err, note = "") {
  const box = $("formula-error");
  if (!err) {
    box.hidden = true;
    box.replaceChildren();
    $("formula").removeAttribute("aria-invalid");
    return;
  }
  const caret = err instanceof FormulaError ? `${" ".repeat(err.column - 1)}${"^".repeat(Math.max(1, err.endColumn - err.column + 1))}` : "";
  const text = err instanceof FormulaError ? $("formula").value.slice(0, 300) : "";
  box.textContent = [text, caret, err.message, note].filter(Boolean).join("\n");
  box.hidden = false;
  $("formula").setAttribute("aria-invalid", "true");
  if (err instanceof FormulaError) $("formula").setSelectionRange(err.column - 1, err.endColumn);
}

async function loadCustom(custom) {
  status(() => t("compiling"));
  const answer = await getCustom(custom);
  app.state.custom = custom;
  app.custom = customSurface(answer);
  app.grid = { train: surfaceModel(answer), test: null, traces: null, critical: [] };
}

async function applyFormula() {
  const domain = [
    [Number($("domain-x0").value), Number($("domain-x1").value)],
    [Number($("domain-y0").value), Number($("domain-y1").value)],
  ];
  const custom = { formula: $("formula").value, domain };
  try {
    await loadCustom(custom);
  } catch (err) {
    showFormulaError(err);
    status(`${t("error")}: ${err.message}`);
    return;
  }
  showFormulaError(null);
  app.state.starts = { clicks: [], random: 0, grid: 0, defaults: true };
  app.state.selected = null;
  app.analysis = null;
  buildSurfacePicker();
  changed();
}

async function loadGrid() {
  if (app.state.surface === "custom") {
    try {
      await loadCustom(app.state.custom);
    } catch (err) {
      // A formula from a link that the server refuses: the box keeps it and the caret points
      // into it; the default formula is drawn meanwhile, and the error says so.
      const refused = app.state.custom;
      $("formula").value = refused.formula;
      showFormulaError(err, t("formula_default_drawn"));
      await loadCustom(defaultCustom());
      buildSurfacePicker();
    }
    return;
  }
  const s = surface();
  const [train, test] = await Promise.all([
    getGrid(app.state.surface, app.state.params),
    s.has_test_set ? getGrid(app.state.surface, app.state.params, 121, "test") : Promise.resolve(null),
  ]);
  // Critical points where they are for the current parameters (the server finds them), not
  // where the catalogue declares them for the defaults.
  app.grid = { train: surfaceModel(train), test: test ? surfaceModel(test) : null, traces: null, critical: train.critical_points };
}

// Every change re-runs at once (coalesced to one run per animation frame while a slider moves).
function changed({ grid = false } = {}) {
  app.timing.changedAt = performance.now();
  writeHash();
  app.basins = null; // it belonged to the previous settings
  app.basinToken += 1;
  if (grid) app.grid = null;
  if (pending) cancelAnimationFrame(pending);
  pending = requestAnimationFrame(async () => {
    pending = null;
    if (!app.grid) await loadGrid();
    stopPlaying();
    const body = runRequest(app.state, surface(), app.catalog.limits.max_starts);
    if (!body.starts.length) {
      app.run = null;
      app.stats = null;
      app.ratios = null;
      status(() => t("no_starts"));
      drawSurface();
      drawCharts();
      return;
    }
    status(() => t("running"));
    stream.run(body);
  });
}

// Steps done of the total and the time left, from the pace so far (long runs only: a short
// one is done before it could be read).
function showProgress(run) {
  const elapsed = (performance.now() - app.runStartedAt) / 1000;
  const done = Math.max(0, run.filled - 1);
  if (done >= run.steps || elapsed < 0.5) return;
  const left = done > 0 ? Math.max(0, Math.round((elapsed * (run.steps - done)) / done)) : "?";
  status(() => t("progress", { t: done, n: run.steps, left }));
}

// The status line; `text` may be a function, so that a language switch re-words it.
function status(text) {
  app.statusText = typeof text === "function" ? text : () => text;
  $("status").textContent = app.statusText();
}

const stream = new RunStream({
  onStart(run) {
    app.run = run;
    app.runStartedAt = performance.now();
    $("stop").disabled = false;
    chartView.started();
    app.stats = new RunStats(run);
    app.ratios = null;
    app.anyDiverged = false;
    if (app.state.selected && (app.state.selected.config >= run.configs || app.state.selected.start >= run.starts)) app.state.selected = null;
    $("time").max = String(run.steps);
  },
  onFrame(run) {
    app.stats.update(run);
    showProgress(run);
    if (!app.playing) setTime(run.filled - 1);
    drawCharts({ streaming: true });
  },
  onCancelled(run) {
    $("stop").disabled = true;
    status(() => t("stopped", { t: Math.max(0, run.filled - 1), n: run.steps }));
  },
  onDone(run, message) {
    $("stop").disabled = true;
    app.ratios = message.minimum_ratio;
    app.endKinds = { kinds: message.end_kinds, counts: message.end_kind_counts, minima: message.minima || [] };
    app.anyDiverged = message.diverged > 0;
    const n = app.stats.sampled;
    const sampled = () => (app.stats && app.stats.stride > 1 ? ` · ${t("sampled", { n })}` : "");
    const compiled = () => (message.compiled ? ` · ${t("compiled")}` : "");
    status(() => `${t("done")} · ${run.starts * run.configs} × ${run.steps} · ${message.diverged} ${t("diverged")} · ${message.compute_ms.toFixed(0)} ms${compiled()}${sampled()}`);
    setTime(run.steps);
    drawCharts();
    showSelected();
    app.timing.chartsDrawAt = performance.now();
  },
  onError(detail) {
    status(`${t("error")}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  },
});

// --- drawing ------------------------------------------------------------------------------

function heightOf(loss) {
  return loss; // the 3-D view's height is the loss itself
}

// The surface view at step `time` as a Plotly figure. In 3-D it is the whole view; in the
// contour view it is the still part (the runs are on the canvas layer, paintLayer) and only
// the legend names the configurations.
function surfaceFigure(time) {
  const s = surface();
  const marked = { ...s, critical_points: app.grid.critical };
  const three = app.state.view === "3d";
  const showTest = app.state.test && app.grid.test !== null;
  const title = s.title[language()];
  const data = [];
  if (three) {
    data.push(...surface3dTraces(app.grid.train, showTest ? app.grid.test : null, { train: t("train_surface"), test: t("test_surface") }));
    data.push(criticalPointTrace(marked, t("critical_points"), app.grid.train));
  } else {
    if (!app.grid.traces) {
      // Built once per grid: the same objects let Plotly.react skip recomputing the contours.
      app.grid.traces = { train: contourTrace(app.grid.train), test: app.grid.test ? testContourTrace(app.grid.test, t("test_surface")) : null };
    }
    data.push(app.grid.traces.train);
    if (showTest) data.push(app.grid.traces.test);
    if (app.basins) {
      const names = {
        title: t("basins_for", { config: labels()[app.basins.config] || `#${app.basins.config + 1}` }),
        basin: (p) => t("basin_of", { where: pointLabel(p) }),
        other: t("end_other_minima"),
        none: t("basin_none"),
      };
      data.push(basinTrace(app.basins), ...basinLegend(app.basins, names));
    }
    data.push(criticalPointTrace(marked, t("critical_points")));
  }
  if (app.analysis) data.push(...eigenTraces(app.analysis, app.analysisPoint, s, three ? app.grid.train : null));
  if (three) {
    data.push(...trajectoryTraces(app.run, time, labels(), { z: heightOf, divergedName: t("diverged") }));
    data.push(...selectedTraces(app.run, time, app.state.selected, { z: heightOf, name: t("selected") }));
  } else if (app.run) {
    data.push(...legendTraces(labels(), { diverged: app.anyDiverged, divergedName: t("diverged") }));
  }
  return { data, layout: scaled(three ? layout3d(s, title) : surfaceLayout(s, title), app.fontScale) };
}

function reactSurface() {
  if (!app.grid || !window.Plotly) return null;
  const fig = surfaceFigure(app.time);
  return window.Plotly.react("surface-plot", fig.data, fig.layout, PLOT_CONFIG);
}

// An object's identity as a number, for the key of what the still figure shows.
const identities = new WeakMap();
let lastIdentity = 0;
function identity(object) {
  if (object === null || object === undefined) return 0;
  if (!identities.has(object)) identities.set(object, ++lastIdentity);
  return identities.get(object);
}

// Everything the contour view's Plotly figure depends on; the time and the run's positions
// are not in it (they are the canvas layer's).
function stillKey() {
  return [
    app.state.surface,
    identity(app.grid),
    app.state.test,
    identity(app.basins),
    identity(app.analysis),
    app.run ? labels().join("|") : "",
    app.anyDiverged,
    language(),
  ].join("#");
}

// Data coordinates → pixels of the plot (Plotly's own axis maps), and the plot area.
function plotView(gd) {
  const L = gd._fullLayout;
  const m = L._size;
  return { left: m.l, top: m.t, width: m.w, height: m.h, px: (x) => m.l + L.xaxis.l2p(x), py: (y) => m.t + L.yaxis.l2p(y) };
}

// Which configurations (and whether the diverged crosses) were switched off in the legend.
function hiddenParts(gd) {
  const hidden = { configs: [], diverged: false };
  (gd.data || []).forEach((trace, i) => {
    const off = gd._fullData && gd._fullData[i] ? gd._fullData[i].visible === "legendonly" : false;
    if (trace.meta && typeof trace.meta.config === "number") hidden.configs[trace.meta.config] = off;
    if (trace.meta && trace.meta.diverged) hidden.diverged = off;
  });
  return hidden;
}

function contourShown(gd) {
  return app.state.view !== "3d" && app.grid !== null && gd._fullLayout !== undefined && gd._fullLayout.xaxis !== undefined && gd._fullLayout.scene === undefined;
}

// The moving part of the contour view at app.time, on the canvas over the plot: a few
// milliseconds, where a Plotly redraw takes a hundred or more.
function paintLayer() {
  const gd = $("surface-plot");
  const canvas = $("moving-layer");
  const ratio = window.devicePixelRatio || 1;
  const width = gd.clientWidth;
  const heightPx = gd.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(heightPx * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(heightPx * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${heightPx}px`;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!contourShown(gd)) {
    app.drawn = null;
    return;
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  app.drawn = movingScene(app.run, app.time, app.state.selected, surface().domain, hiddenParts(gd));
  paintScene(ctx, app.run, app.drawn, plotView(gd));
}

// One draw of the surface at a time, at most one per animation frame, always of the newest
// state: requests made while a draw is in flight are merged into the next one, so a fast
// stream or playback never queues up stale frames. Plotly redraws only when the still part
// changed (or in 3-D); otherwise only the canvas layer is repainted.
const painter = { scheduled: false, busy: false, key: null };

function drawSurface() {
  if (painter.scheduled) return;
  painter.scheduled = true;
  requestAnimationFrame(paint);
}

async function paint() {
  if (painter.busy) {
    requestAnimationFrame(paint);
    return;
  }
  painter.scheduled = false;
  painter.busy = true;
  try {
    const key = app.state.view === "3d" ? null : stillKey();
    if (key === null || key !== painter.key) {
      painter.key = key;
      // A draw that never settles must not stop all later ones.
      await Promise.race([reactSurface(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    }
    paintLayer();
  } catch (err) {
    painter.key = null;
    throw err;
  } finally {
    painter.busy = false;
  }
  afterDraw();
}

// Bookkeeping after each draw: the frame count while playing and the timing stamps that
// bench/browser.py reads.
function afterDraw() {
  const now = performance.now();
  if (app.playing) {
    app.playback.frames += 1;
    app.playback.until = now;
  }
  const run = app.run;
  if (!run || run.filled === 0) return;
  if (app.timing.firstDrawAt < app.timing.changedAt) app.timing.firstDrawAt = now;
  if (run.divergedAt !== null && app.time === run.steps && app.timing.doneDrawAt < app.timing.changedAt) app.timing.doneDrawAt = now;
}

// Whether drawing is still to happen (the tests wait for it), and a full redraw (the tests
// check that it gives the same picture as the canvas layer moved on its own).
app.rendering = () => painter.scheduled || painter.busy;
app.redraw = () => {
  painter.key = null; // Plotly too, not only the canvas layer
  drawSurface();
};


// The charts (chartview.js).
const chartView = createChartView({ app, t, language, labels, status: (text) => status(text), getTiming, plotConfig: PLOT_CONFIG });
const drawCharts = (options) => chartView.draw(options);
const moveCursor = (force) => chartView.moveCursor(force);
const showChart = (name) => chartView.show(name);
const drawTiming = () => chartView.drawTiming();

function setTime(time) {
  app.time = time;
  $("time").value = String(time);
  $("time-label").textContent = String(time);
  drawSurface();
  moveCursor(!app.playing);
}

function stopPlaying() {
  app.playing = false;
  $("play").textContent = t("play");
}

// Playback advances `speed` × (steps / 150) steps per animation frame: the whole run takes
// about 2.5 s at 1× whatever its length.
function play() {
  if (!app.run) return;
  if (app.playing) {
    stopPlaying();
    return;
  }
  app.playing = true;
  $("play").textContent = t("pause");
  if (app.time >= app.run.filled - 1) app.time = 0;
  let clock = app.time;
  app.playback = { frames: 0, since: performance.now(), until: performance.now() };
  const tick = () => {
    if (!app.playing || !app.run) return;
    clock = Math.min(clock + stepsPerFrame(app.run.steps, app.state.speed), app.run.filled - 1);
    const next = Math.floor(clock);
    if (next !== app.time) setTime(next);
    if (next >= app.run.steps) {
      stopPlaying();
      setTime(app.run.steps);
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function stepBy(delta) {
  if (!app.run) return;
  stopPlaying();
  setTime(Math.max(0, Math.min(app.run.filled - 1, app.time + delta)));
}

// --- basin map ------------------------------------------------------------------------------

async function showBasins() {
  const button = $("basin-map");
  const progress = $("basin-progress");
  const token = ++app.basinToken;
  button.disabled = true;
  progress.hidden = false;
  progress.max = BASIN_PASSES.length;
  try {
    const config = app.state.configs[app.state.active];
    for (let k = 0; k < BASIN_PASSES.length; k++) {
      const g = BASIN_PASSES[k];
      progress.value = k;
      status(t("basin_pass", { k: k + 1, n: BASIN_PASSES.length, g }));
      const map = await basinMap({
        ...surfaceRequest(app.state),
        surface_params: app.state.params,
        optimizer: optimizerRequest(config, app.state.steps),
        grid: g,
        steps: app.state.steps,
        batch_size: configBatch(app.state, app.state.active) > 0 ? configBatch(app.state, app.state.active) : null,
        seed: app.state.seed,
      });
      if (token !== app.basinToken) return; // the settings changed meanwhile
      app.basins = { ...map, config: app.state.active }; // the map is this configuration's
      if (app.state.view === "3d") setView("contour");
      else drawSurface();
    }
    progress.value = BASIN_PASSES.length;
    status(t("basin_done"));
  } catch (err) {
    status(`${t("error")}: ${err.message}`);
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
}

// --- the Hessian panel and the selected start (hessianview.js) ------------------------------

const hessianView = createHessianView({
  app,
  t,
  status: (text) => status(text),
  analyzePoint: (point) => analyze(surfaceRequest(app.state), app.state.params, point),
  onAnalysis: () => drawSurface(),
  onEscape: (point) => {
    app.state.starts.clicks.push(point);
    changed();
  },
});
const showAnalysis = (point) => hessianView.show(point);
const showSelected = () => hessianView.showSelected();
const clearAnalysis = () => hessianView.clear();

function select_(config, start) {
  app.state.selected = { config, start };
  writeHash();
  showSelected();
  drawCharts();
  drawSurface();
}

// --- exports (exportview.js) ------------------------------------------------------------------

const exportView = createExportView({
  app,
  t,
  status: (text) => status(text),
  surfaceFigure: (time) => surfaceFigure(time),
  contourShown: (gd) => contourShown(gd),
  // The canvas layer's moving part at step `time`, painted into a context.
  paintMoving: (ctx, time) => {
    const gd = $("surface-plot");
    paintScene(ctx, app.run, movingScene(app.run, time, app.state.selected, surface().domain, hiddenParts(gd)), plotView(gd));
  },
});

// --- wiring ------------------------------------------------------------------------------

function render() {
  setLanguage(app.state.lang);
  if (app.statusText) $("status").textContent = app.statusText();
  buildSurfacePicker();
  buildOptimizer();
  syncControls();
  renderLesson();
  exportView.render();
}

// --- lessons and the general guide ------------------------------------------------------------

// The lesson bar, the scene's text and the guide (lessonview.js); showing a scene is this
// controller's: the scene's state, its Hessian point, its chart.
const lessonView = createLessonView({
  app,
  t,
  language,
  onScene: (i, k) => showScene(i, k),
  onFree: () => {
    app.lesson = null;
    app.state.lesson = null;
    writeHash();
    renderLesson();
  },
});

function renderLesson() {
  lessonView.render();
  if (app.chart === "timing") drawTiming();
}

// A scene: its preset state (the language and playback speed stay the person's), its Hessian
// point and its extra panel.
function showScene(i, k) {
  const scene = app.lessons[i].scenes[k];
  app.lesson = { lesson: i, scene: k };
  app.state = sceneState(app.lessons[i], scene, app.state, app.catalog);
  clearAnalysis();
  render();
  changed({ grid: true });
  if (scene.analyze) showAnalysis(scene.analyze);
  showChart(scene.chart);
}

// Presentation mode: big type for a projector, the controls folded away.
function setPresenting(on) {
  document.documentElement.classList.toggle("present", on);
  $("present").setAttribute("aria-pressed", String(on));
  app.fontScale = on ? 1.5 : 1;
  painter.key = null;
  // The plots' boxes changed with the layout: Plotly measures them again on a resize.
  requestAnimationFrame(() => {
    if ($("surface-plot").layout) window.Plotly.Plots.resize($("surface-plot"));
    drawSurface();
    chartView.redrawAll();
  });
}

function setView(view) {
  app.state.view = view;
  syncControls();
  writeHash();
  drawSurface();
}

function wire() {
  $("language").addEventListener("change", () => {
    app.state.lang = $("language").value;
    if (app.grid) app.grid.traces = null; // their names are in the old language
    render();
    drawSurface();
    drawCharts();
    showSelected();
    writeHash();
  });
  $("surface").addEventListener("change", () => {
    app.state = switchSurface(app.state, $("surface").value, app.catalog);
    app.custom = null;
    showFormulaError(null);
    app.analysis = null;
    render();
    changed({ grid: true });
  });
  $("formula-apply").addEventListener("click", applyFormula);
  for (const id of ["formula", "domain-x0", "domain-x1", "domain-y0", "domain-y1"]) {
    $(id).addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        applyFormula();
      }
    });
  }
  $("add-random").addEventListener("click", () => {
    app.state = addRandomStarts(app.state, $("random-count").value, app.catalog);
    changed();
  });
  $("add-grid").addEventListener("click", () => {
    app.state = addGridStarts(app.state);
    changed();
  });
  $("default-starts").addEventListener("click", () => {
    app.state = addDefaultStarts(app.state);
    changed();
  });
  $("clear-starts").addEventListener("click", () => {
    app.state = clearStarts(app.state);
    app.run = null;
    changed();
  });
  for (const [id, key] of [["steps", "steps"], ["batch-size", "batch"], ["seed", "seed"]]) {
    $(id).addEventListener("change", () => {
      const limits = app.catalog.limits;
      const limit = { steps: limits.max_steps, batch: surface().n_examples, seed: limits.max_seed }[key];
      const v = Math.max(key === "steps" ? 1 : 0, Math.min(limit, Math.round(Number($(id).value) || 0)));
      app.state[key] = v;
      $(id).value = String(v);
      if (key === "batch") buildSurfacePicker(); // the noise slider's full-batch hint
      changed();
    });
  }
  $("play").addEventListener("click", play);
  $("stop").addEventListener("click", () => stream.cancel());
  $("step-back").addEventListener("click", () => stepBy(-1));
  $("step-forward").addEventListener("click", () => stepBy(1));
  $("speed").addEventListener("change", () => {
    app.state.speed = Number($("speed").value);
    writeHash();
  });
  $("time").addEventListener("input", () => {
    stopPlaying();
    setTime(Number($("time").value));
  });
  for (const radio of document.querySelectorAll("input[name=view]")) radio.addEventListener("change", () => setView(radio.value));
  $("show-test").addEventListener("change", () => {
    app.state.test = $("show-test").checked;
    writeHash();
    drawSurface();
  });
  hessianView.bind();
  lessonView.bind();
  chartView.bind();
  $("present").addEventListener("click", () => setPresenting(!document.documentElement.classList.contains("present")));
  $("basin-map").addEventListener("click", showBasins);
  exportView.bind();
  // Playback keys work anywhere but in a text field or a list, where they already mean something.
  document.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (event.ctrlKey || event.metaKey || event.altKey || tag === "SELECT" || tag === "TEXTAREA" || tag === "BUTTON") return;
    // On a radio button or a checkbox, Space is the control's own key (it selects it); the
    // arrows keep their playback meaning there.
    if (tag === "INPUT" && (!["radio", "checkbox"].includes(event.target.type) || event.key === " ")) return;
    const actions = {
      " ": play,
      ArrowLeft: () => stepBy(-1),
      ArrowRight: () => stepBy(1),
      Home: () => stepBy(-Infinity),
      End: () => stepBy(Infinity),
      3: () => setView(app.state.view === "3d" ? "contour" : "3d"),
      p: () => setPresenting(!document.documentElement.classList.contains("present")),
    };
    const action = actions[event.key];
    if (!action || (tag === "BUTTON" && event.key === " ")) return;
    event.preventDefault();
    action();
  });
}

function wirePlotClicks() {
  const plot = $("surface-plot");
  // The canvas layer follows the plot: zoom, pan, resize, a legend entry clicked off.
  for (const name of ["plotly_afterplot", "plotly_relayouting", "plotly_restyle"]) plot.on(name, paintLayer);
  plot.on("plotly_click", (event) => {
    if (contourShown(plot) && app.drawn && event.event) {
      // A start's dot on the canvas layer: follow it, and analyse where it is.
      const box = $("moving-layer").getBoundingClientRect();
      const hit = nearestDot(app.drawn, plotView(plot), event.event.clientX - box.left, event.event.clientY - box.top);
      if (hit) {
        const dots = app.drawn.configs[hit.config].dots;
        select_(hit.config, hit.start);
        showAnalysis([dots.x[hit.start], dots.y[hit.start]]);
        return;
      }
    }
    const p = event.points && event.points[0];
    if (!p || p.x === undefined || p.y === undefined) return;
    const point = [Number(p.x), Number(p.y)];
    const meta = p.data && p.data.meta;
    if (meta && typeof meta.dots === "number") {
      // A start's dot in 3-D.
      select_(meta.dots, p.pointNumber);
      showAnalysis(point);
      return;
    }
    const mode = document.querySelector("input[name=click-mode]:checked").value;
    if (mode === "analyze") showAnalysis(point);
    else {
      app.state.starts.clicks.push(point);
      changed();
    }
  });
}

// A server just started compiles the first visit's programs in the background: say so, with
// its progress, until they are ready (the first run would otherwise wait in silence).
async function waitForWarmUp() {
  for (;;) {
    const { warmup } = await getHealth();
    if (warmup.ready) return;
    status(t("preparing", { done: warmup.done, total: warmup.first_visit }));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function start() {
  const [catalogue, optimizers, limits] = await Promise.all([getSurfaces(), getOptimizers(), getLimits()]);
  app.surfaces = catalogue;
  app.optax = optimizers.optax;
  app.catalog = { surfaces: catalogue, fields: optimizers.fields, presets: optimizers.presets, optax: optimizers.optax, limits };
  try {
    const content = await getLessons();
    app.lessons = content.lessons;
    app.guide = content.guide;
    app.catalog.lessons = content.lessons;
  } catch (err) {
    status(`${t("error")}: ${err.message}`); // the lab works without its lessons
  }
  app.state = fromHash(window.location.hash, app.catalog);
  const scene = lessonFromState();
  render();
  wire();
  await waitForWarmUp();
  await loadGrid();
  await reactSurface(); // now, not on the next frame: the click handlers attach to the plot it makes
  drawCharts();
  wirePlotClicks();
  changed();
  if (scene) {
    // A link or a reload into a lesson scene: the state is the link's; the scene's panels too.
    if (scene.analyze) showAnalysis(scene.analyze);
    showChart(scene.chart);
  }
}

// The lesson scene the state names (a link's or a reload's), shown in the lesson bar.
function lessonFromState() {
  const mark = app.state.lesson;
  app.lesson = null;
  if (!mark) return null;
  const i = app.lessons.findIndex((l) => l.id === mark.lesson);
  const k = i < 0 ? -1 : app.lessons[i].scenes.findIndex((sc) => sc.id === mark.scene);
  if (k < 0) return null;
  app.lesson = { lesson: i, scene: k };
  return app.lessons[i].scenes[k];
}

window.addEventListener("hashchange", () => {
  const next = fromHash(window.location.hash, app.catalog);
  if (toHash(next) === toHash(app.state)) return;
  app.state = next;
  lessonFromState();
  render();
  changed({ grid: true });
});

start();
