// The one module that touches the DOM: builds the controls, keeps them and the URL in step
// with the state, streams runs and draws them with Plotly.
import { analyze, basinMap, getCustom, getGrid, getHealth, getLessons, getLimits, getNets, getOptimizers, getSurfaces, getTiming, RunStream } from "./api.js";
import { createChartView } from "./chartview.js";
import { createControlsView } from "./controlsview.js";
import { language, setLanguage, t } from "./i18n.js";
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
import { runLabels } from "./labels.js";
import { createLessonView } from "./lessonview.js";
import { createExportView } from "./exportview.js";
import { createHessianView } from "./hessianview.js";
import { labFromHash, sanitizeLab } from "./labstate.js";
import { createLabView } from "./labview.js";
import { createOptimizerView } from "./optimizerview.js";
import { createSurfaceView } from "./surfaceview.js";
import { stepsPerFrame } from "./playback.js";
import { RunStats } from "./stats.js";
import { surfaceModel } from "./traces.js";

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
  mode: "surfaces", // or "nets": the network lab
  nets: null, // GET /api/nets
  lab: null, // the network lab's state (labstate.js)
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

// --- the controls (controlsview.js, optimizerview.js) -----------------------------------------

const controlsView = createControlsView({
  app,
  t,
  language,
  surface: () => surface(),
  onParam: (name, value) => {
    app.state.params[name] = value;
    changed({ grid: true });
  },
});
const buildSurfacePicker = () => controlsView.render();
const syncControls = () => controlsView.sync();
const showFormulaError = (err, note, formula) => controlsView.showFormulaError(err, note, formula);

// The optimizer panel (optimizerview.js).
const optimizerView = createOptimizerView({ app, t, surface: () => surface(), changed: (options) => changed(options), writeHash: () => writeHash() });
const buildOptimizer = () => optimizerView.render();
const buildConfigTabs = () => optimizerView.renderTabs();

// --- running ------------------------------------------------------------------------------

let pending = null;

// The URL holds the surfaces' state, the mode, and in the network lab the lab's state.
function pageHash() {
  return toHash(app.mode === "nets" ? { ...app.state, mode: app.mode, lab: app.lab } : app.state);
}

function writeHash() {
  history.replaceState(null, "", pageHash());
}

async function loadCustom(custom) {
  status(() => t("compiling"));
  const answer = await getCustom(custom);
  app.state.custom = custom;
  app.custom = customSurface(answer);
  app.grid = { train: surfaceModel(answer), test: null, traces: null, critical: [] };
}

// The typed formula: checked and drawn by the server. A refused one keeps the last good
// formula in place and shows where the new one is wrong.
async function applyFormula(custom) {
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
      showFormulaError(err, t("formula_default_drawn"), app.state.custom.formula);
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

// --- the surface view (surfaceview.js) ------------------------------------------------------

const surfaceView = createSurfaceView({
  app,
  t,
  language,
  labels,
  surface: () => surface(),
  plotConfig: PLOT_CONFIG,
  onSelect: (config, start) => select_(config, start),
  onAnalyze: (point) => showAnalysis(point),
  onAddStart: (point) => {
    app.state.starts.clicks.push(point);
    changed();
  },
});
const drawSurface = () => surfaceView.draw();
const reactSurface = () => surfaceView.react();
// Whether drawing is still to happen (the tests wait for it), and a full redraw (the tests
// check that it gives the same picture as the canvas layer moved on its own).
app.rendering = () => surfaceView.rendering();
app.redraw = () => {
  surfaceView.forget();
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

// Playback advances stepsPerFrame (playback.js) steps per animation frame: at 60 frames/s a
// run plays for its playbackSeconds; a paint slower than the screen makes it play longer,
// never skip what it has to show.
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
  const passes = app.catalog.limits.basin_passes; // grid sides, coarse first: the map appears at once and sharpens
  progress.max = passes.length;
  try {
    const config = app.state.configs[app.state.active];
    for (let k = 0; k < passes.length; k++) {
      const g = passes[k];
      progress.value = k;
      status(t("basin_pass", { k: k + 1, n: passes.length, g }));
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
    progress.value = passes.length;
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
  surfaceFigure: (time) => surfaceView.figure(time),
  contourShown: (gd) => surfaceView.contourShown(gd),
  paintMoving: (ctx, time) => surfaceView.paintMoving(ctx, time),
});

// --- the network lab (labview.js) ------------------------------------------------------------

// The lab's state as the optimizer panel reads and replaces it.
const labHolder = {
  get state() {
    return app.lab;
  },
  set state(value) {
    app.lab = value;
  },
  get catalog() {
    return app.catalog;
  },
};
let labView = null;

function createLab() {
  labView = createLabView({ holder: labHolder, nets: () => app.nets, t, language, plotConfig: PLOT_CONFIG, writeHash, fontScale: () => app.fontScale });
  labView.bind();
}

// Surfaces or networks: one of the two labs on the screen; the lesson text goes with it.
function setMode(mode) {
  if (mode === "nets" && !labView) mode = "surfaces"; // the server offers no network lab
  app.mode = mode;
  const nets = mode === "nets";
  $("surface-lab").hidden = nets;
  $("nets-lab").hidden = !nets;
  $("mode-surfaces").setAttribute("aria-selected", String(!nets));
  $("mode-nets").setAttribute("aria-selected", String(nets));
  const side = nets ? $("lab-side") : $("hessian");
  side.prepend($("welcome"), $("lesson-text"));
  if (nets) labView.show();
  else if (!surfacesStarted) {
    if (labView) labView.hide();
    startSurfaces();
  } else {
    if (labView) labView.hide();
    requestAnimationFrame(() => {
      if ($("surface-plot").layout) window.Plotly.Plots.resize($("surface-plot"));
      app.redraw();
      chartView.redrawAll();
    });
  }
  writeHash();
}

// --- wiring ------------------------------------------------------------------------------

function render() {
  setLanguage(app.state.lang);
  if (app.statusText) $("status").textContent = app.statusText();
  buildSurfacePicker();
  buildOptimizer();
  syncControls();
  renderLesson();
  exportView.render();
  if (labView && app.mode === "nets") labView.render();
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
  if (scene.lab) {
    // A scene about networks: the lab's state is the scene's, the surfaces' stays the person's.
    app.state = { ...app.state, lesson: { lesson: app.lessons[i].id, scene: scene.id } };
    app.lab = sanitizeLab({ ...scene.lab, chart: scene.chart }, app.nets, app.catalog);
    render();
    setMode("nets");
    labView.render();
    labView.changed();
    return;
  }
  app.state = sceneState(app.lessons[i], scene, app.state, app.catalog);
  if (app.mode !== "surfaces") setMode("surfaces");
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
  surfaceView.forget();
  // The plots' boxes changed with the layout: Plotly measures them again on a resize.
  requestAnimationFrame(() => {
    if ($("surface-plot").layout) window.Plotly.Plots.resize($("surface-plot"));
    drawSurface();
    chartView.redrawAll();
    if (labView && app.mode === "nets") labView.redrawAll();
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
  controlsView.bind({
    onSurface: (name) => {
      app.state = switchSurface(app.state, name, app.catalog);
      app.custom = null;
      showFormulaError(null);
      app.analysis = null;
      render();
      changed({ grid: true });
    },
    onFormula: applyFormula,
    onStarts: (kind, count) => {
      if (kind === "random") app.state = addRandomStarts(app.state, count, app.catalog);
      else if (kind === "grid") app.state = addGridStarts(app.state);
      else if (kind === "defaults") app.state = addDefaultStarts(app.state);
      else {
        app.state = clearStarts(app.state);
        app.run = null;
      }
      changed();
    },
    onField: (key, value) => {
      app.state[key] = value;
      if (key === "batch") buildSurfacePicker(); // the noise slider's full-batch hint
      changed();
    },
    onView: (view) => setView(view),
    onTest: (shown) => {
      app.state.test = shown;
      writeHash();
      drawSurface();
    },
  });
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
  hessianView.bind();
  lessonView.bind();
  chartView.bind();
  $("mode-surfaces").addEventListener("click", () => setMode("surfaces"));
  $("mode-nets").addEventListener("click", () => setMode("nets"));
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
    const action = app.mode === "nets" && event.key !== "p" ? null : actions[event.key];
    if (!action || (tag === "BUTTON" && event.key === " ")) return;
    event.preventDefault();
    action();
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
  const [catalogue, optimizers, limits, nets] = await Promise.all([getSurfaces(), getOptimizers(), getLimits(), getNets().catch(() => null)]);
  app.nets = nets;
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
  if (app.nets) {
    ({ mode: app.mode, lab: app.lab } = labFromHash(window.location.hash, app.nets, app.catalog));
    createLab();
  }
  render();
  wire();
  if (app.mode === "nets") {
    setMode("nets");
    return;
  }
  await startSurfaces(scene);
}

// The surfaces' first draw and run: at the start, or when the page opened in the network lab,
// at the first switch to the surfaces (a hidden plot has no size to draw at).
let surfacesStarted = false;
async function startSurfaces(scene = null) {
  if (surfacesStarted) return;
  surfacesStarted = true;
  await waitForWarmUp();
  await loadGrid();
  await reactSurface(); // now, not on the next frame: the click handlers attach to the plot it makes
  drawCharts();
  surfaceView.bindClicks();
  changed();
  if (scene && !scene.lab) {
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
  if (window.location.hash === pageHash()) return;
  app.state = fromHash(window.location.hash, app.catalog);
  lessonFromState();
  if (app.nets) {
    const { mode, lab } = labFromHash(window.location.hash, app.nets, app.catalog);
    app.lab = lab;
    render();
    setMode(mode);
    if (mode === "nets") {
      labView.changed();
      return;
    }
  } else render();
  changed({ grid: true });
});

start();
