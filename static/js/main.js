// The one module that touches the DOM: builds the controls, keeps them and the URL in step
// with the state, streams runs and draws them with Plotly.react.
import { analyze, basinMap, getGrid, getSurfaces, RunStream } from "./api.js";
import { language, setLanguage, t } from "./i18n.js";
import {
  MAX_CONFIGS,
  MOMENTUM_MODES,
  PRESET_NAMES,
  SCHEDULES,
  SIGMA_MODES,
  configFromPreset,
  fromHash,
  runRequest,
  toHash,
} from "./state.js";
import { COLORS, basinTrace, contourTrace, criticalPointTrace, eigenTraces, lossLayout, lossTraces, surfaceLayout, trajectoryTraces } from "./traces.js";

const $ = (id) => document.getElementById(id);
// WebGL only pays for itself with thousands of moving dots; below that SVG draws everywhere,
// including browsers (and headless ones) without a GPU.
const WEBGL = (() => {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch {
    return false;
  }
})();
const app = { surfaces: [], state: null, grid: null, run: null, time: 0, playing: false, analysis: null, analysisPoint: null, basins: null };
window.errorscape = app; // for people poking at the page, and for its tests

function surface() {
  return app.surfaces.find((s) => s.name === app.state.surface);
}

function configLabel(config, i) {
  const parts = [`#${i + 1} η=${config.lr.toPrecision(2)}`];
  if (config.momentum !== "none") parts.push(config.momentum === "heavy_ball" ? `λ=${config.lam}` : config.momentum);
  if (config.sigma !== "none") parts.push(`σ=${config.sigma}`);
  if (config.schedule !== "constant") parts.push(config.schedule);
  if (config.warmup_steps > 0) parts.push(`warm-up ${config.warmup_steps}`);
  return parts.join(" ");
}

function labels() {
  return app.state.configs.map(configLabel);
}

// --- building controls -----------------------------------------------------------------

function slider({ id, label, min, max, step, value, log = false, format = (v) => v.toPrecision(3), onInput }) {
  const wrap = document.createElement("label");
  const text = document.createElement("span");
  text.textContent = label;
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  input.value = String(log ? Math.log10(value) : value);
  input.setAttribute("aria-label", label);
  const out = document.createElement("output");
  out.htmlFor = id;
  out.textContent = format(value);
  input.addEventListener("input", () => {
    const v = log ? 10 ** Number(input.value) : Number(input.value);
    out.textContent = format(v);
    onInput(v);
  });
  wrap.append(text, " ", out, input);
  return wrap;
}

function select({ id, label, options, value, onChange }) {
  const wrap = document.createElement("label");
  const text = document.createElement("span");
  text.textContent = label;
  const sel = document.createElement("select");
  sel.id = id;
  sel.setAttribute("aria-label", label);
  for (const o of options) {
    const opt = document.createElement("option");
    opt.value = o;
    opt.textContent = t(o);
    sel.append(opt);
  }
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  wrap.append(text, " ", sel);
  return wrap;
}

function buildSurfacePicker() {
  const sel = $("surface");
  sel.replaceChildren(
    ...app.surfaces.map((s) => {
      const o = document.createElement("option");
      o.value = s.name;
      o.textContent = s.title[language()];
      return o;
    }),
  );
  sel.value = app.state.surface;
  $("surface-description").textContent = surface().description[language()];
  const box = $("surface-params");
  box.replaceChildren(
    ...surface().params.map((p) =>
      slider({
        id: `param-${p.name}`,
        label: p.name,
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
  $("batch-size").max = String(surface().n_examples);
}

function buildConfigTabs() {
  const tabs = $("config-tabs");
  const buttons = app.state.configs.map((c, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("role", "tab");
    b.setAttribute("aria-selected", String(i === app.state.active));
    b.innerHTML = `<span class="swatch" style="background:${COLORS[i]}"></span>`;
    b.append(`${t("config")} ${i + 1}`);
    b.addEventListener("click", () => {
      app.state.active = i;
      buildOptimizer();
      writeHash();
    });
    return b;
  });
  const add = document.createElement("button");
  add.type = "button";
  add.id = "add-config";
  add.textContent = t("add_config");
  add.disabled = app.state.configs.length >= MAX_CONFIGS;
  add.addEventListener("click", () => {
    app.state.configs.push({ ...app.state.configs[app.state.active] });
    app.state.active = app.state.configs.length - 1;
    buildOptimizer();
    changed();
  });
  const remove = document.createElement("button");
  remove.type = "button";
  remove.id = "remove-config";
  remove.textContent = t("remove_config");
  remove.disabled = app.state.configs.length <= 1;
  remove.addEventListener("click", () => {
    app.state.configs.splice(app.state.active, 1);
    app.state.active = Math.max(0, app.state.active - 1);
    buildOptimizer();
    changed();
  });
  tabs.replaceChildren(...buttons, add, remove);
}

function buildOptimizer() {
  buildConfigTabs();
  const config = app.state.configs[app.state.active];
  const presets = $("presets");
  presets.replaceChildren(
    ...PRESET_NAMES.map((name) => {
      const b = document.createElement("button");
      b.type = "button";
      b.id = `preset-${name}`;
      b.textContent = name;
      b.addEventListener("click", () => {
        app.state.configs[app.state.active] = configFromPreset(name);
        buildOptimizer();
        changed();
      });
      return b;
    }),
  );
  const set = (key) => (v) => {
    config[key] = v;
    buildConfigTabs();
    changed();
  };
  const rebuild = (key) => (v) => {
    config[key] = v;
    buildOptimizer();
    changed();
  };
  const controls = [
    slider({ id: "lr", label: t("lr"), min: -4, max: 1, step: 0.01, value: config.lr, log: true, onInput: set("lr") }),
    select({ id: "momentum", label: t("momentum"), options: MOMENTUM_MODES, value: config.momentum, onChange: rebuild("momentum") }),
  ];
  if (config.momentum === "heavy_ball" || config.momentum === "nesterov") {
    controls.push(slider({ id: "lam", label: t("lam"), min: 0, max: 0.99, step: 0.01, value: config.lam, onInput: set("lam") }));
  }
  if (config.momentum === "adam") {
    controls.push(slider({ id: "beta1", label: t("beta1"), min: 0, max: 0.999, step: 0.001, value: config.beta1, onInput: set("beta1") }));
  }
  controls.push(select({ id: "sigma", label: t("sigma"), options: SIGMA_MODES, value: config.sigma, onChange: rebuild("sigma") }));
  if (config.sigma === "rmsprop") {
    controls.push(slider({ id: "alpha", label: t("alpha"), min: 0, max: 0.999, step: 0.001, value: config.alpha, onInput: set("alpha") }));
  }
  if (config.sigma === "adam") {
    controls.push(slider({ id: "beta2", label: t("beta2"), min: 0.9, max: 0.9999, step: 0.0001, value: config.beta2, onInput: set("beta2") }));
  }
  if (config.sigma !== "none") {
    controls.push(
      slider({ id: "eps", label: t("eps"), min: -10, max: -1, step: 0.1, value: Math.max(config.eps, 1e-10), log: true, onInput: set("eps") }),
    );
  }
  controls.push(select({ id: "schedule", label: t("schedule"), options: SCHEDULES, value: config.schedule, onChange: rebuild("schedule") }));
  if (config.schedule === "exponential") {
    controls.push(
      slider({ id: "decay_rate", label: t("decay_rate"), min: 0.9, max: 1, step: 0.0005, value: config.decay_rate, onInput: set("decay_rate") }),
    );
  }
  controls.push(
    slider({ id: "warmup_steps", label: t("warmup_steps"), min: 0, max: 500, step: 1, value: config.warmup_steps, format: (v) => String(v), onInput: set("warmup_steps") }),
  );
  $("optimizer-controls").replaceChildren(...controls);
}

function syncTraining() {
  $("steps").value = String(app.state.steps);
  $("batch-size").value = String(app.state.batch);
  $("seed").value = String(app.state.seed);
  $("language").value = app.state.lang;
}

// --- running and drawing -------------------------------------------------------------------

let pending = null;

function writeHash() {
  history.replaceState(null, "", toHash(app.state));
}

// Every change re-runs at once (debounced to one run per animation frame while a slider moves).
function changed({ grid = false } = {}) {
  writeHash();
  app.basins = null; // it belonged to the previous settings
  if (grid) app.grid = null;
  if (pending) cancelAnimationFrame(pending);
  pending = requestAnimationFrame(async () => {
    pending = null;
    if (!app.grid) app.grid = await getGrid(app.state.surface, app.state.params);
    app.playing = false;
    $("play").textContent = t("play");
    const body = runRequest(app.state, surface());
    if (!body.starts.length) {
      app.run = null;
      $("status").textContent = t("no_starts");
      drawSurface();
      drawLoss();
      return;
    }
    $("status").textContent = t("running");
    stream.run(body);
  });
}

function drawSurface() {
  if (!app.grid || !window.Plotly) return;
  const s = surface();
  const traces = [contourTrace(app.grid), ...(app.basins ? [basinTrace(app.basins)] : []), criticalPointTrace(s), ...trajectoryTraces(app.run, app.time, labels(), WEBGL && app.run !== null && app.run.starts * app.run.configs > 2000)];
  if (app.analysis) traces.push(...eigenTraces(app.analysis, app.analysisPoint, s));
  window.Plotly.react("surface-plot", traces, surfaceLayout(s, s.title[language()]), { displaylogo: false, responsive: true });
}

function drawLoss() {
  if (!window.Plotly) return;
  window.Plotly.react("loss-chart", lossTraces(app.run, labels(), { loss: t("loss"), test: t("test_loss") }), lossLayout(app.time), {
    displaylogo: false,
    responsive: true,
  });
}

function setTime(time) {
  app.time = time;
  $("time").value = String(time);
  $("time-label").textContent = String(time);
  drawSurface();
  drawLoss();
}

const stream = new RunStream({
  onStart(run) {
    app.run = run;
    $("time").max = String(run.steps);
  },
  onFrame(run) {
    if (!app.playing) setTime(run.filled - 1);
  },
  onDone(run, message) {
    const status = `${t("done")} · ${message.diverged} ${t("diverged")} · ${message.compute_ms.toFixed(0)} ms`;
    $("status").textContent = status;
    setTime(run.steps);
  },
  onError(detail) {
    $("status").textContent = `${t("error")}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
  },
});

function play() {
  if (!app.run) return;
  app.playing = !app.playing;
  $("play").textContent = app.playing ? t("pause") : t("play");
  if (!app.playing) return;
  if (app.time >= app.run.filled - 1) app.time = 0;
  const tick = () => {
    if (!app.playing) return;
    const next = Math.min(app.time + Math.max(1, Math.round(app.run.steps / 150)), app.run.filled - 1);
    setTime(next);
    if (next >= app.run.steps) {
      app.playing = false;
      $("play").textContent = t("play");
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function showBasins() {
  const button = $("basin-map");
  button.disabled = true;
  $("status").textContent = t("basin_computing");
  try {
    const config = app.state.configs[app.state.active];
    app.basins = await basinMap({
      surface: app.state.surface,
      surface_params: app.state.params,
      optimizer: config,
      grid: 96,
      steps: app.state.steps,
      batch_size: app.state.batch > 0 ? app.state.batch : null,
      seed: app.state.seed,
    });
    $("status").textContent = t("basin_done");
    drawSurface();
  } catch (err) {
    $("status").textContent = `${t("error")}: ${err.message}`;
  } finally {
    button.disabled = false;
  }
}

// --- the Hessian panel ---------------------------------------------------------------------

function fmt(v) {
  return v === null ? "—" : Number(v).toPrecision(4);
}

async function showAnalysis(point) {
  const a = await analyze(app.state.surface, app.state.params, point);
  app.analysis = a;
  app.analysisPoint = point;
  const rows = [
    [t("kind"), t(a.kind), "verdict"],
    [t("point"), `(${fmt(point[0])}, ${fmt(point[1])})`],
    ["L", fmt(a.loss)],
    [t("gradient"), `(${fmt(a.gradient[0])}, ${fmt(a.gradient[1])})`],
    [t("hessian"), `[[${fmt(a.hessian[0][0])}, ${fmt(a.hessian[0][1])}], [${fmt(a.hessian[1][0])}, ${fmt(a.hessian[1][1])}]]`],
    [t("eigenvalues"), a.eigenvalues.map(fmt).join(", ")],
  ];
  $("analysis").replaceChildren(
    ...rows.flatMap(([k, v, cls]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      if (cls) dd.className = cls;
      dd.dataset.field = k;
      return [dt, dd];
    }),
  );
  $("analysis").dataset.kind = a.kind;
  $("analysis").dataset.eigenvalues = JSON.stringify(a.eigenvalues);
  $("escape").disabled = a.escape_direction === null;
  drawSurface();
}

function escape() {
  const a = app.analysis;
  if (!a || !a.escape_direction) return;
  const [[x0, x1], [y0, y1]] = surface().domain;
  const step = 0.02 * Math.max(x1 - x0, y1 - y0);
  app.state.starts.clicks.push([app.analysisPoint[0] + step * a.escape_direction[0], app.analysisPoint[1] + step * a.escape_direction[1]]);
  changed();
}

// --- wiring ------------------------------------------------------------------------------

function render() {
  setLanguage(app.state.lang);
  buildSurfacePicker();
  buildOptimizer();
  syncTraining();
}

function wire() {
  $("language").addEventListener("change", () => {
    app.state.lang = $("language").value;
    render();
    drawSurface();
    drawLoss();
    writeHash();
  });
  $("surface").addEventListener("change", () => {
    app.state.surface = $("surface").value;
    app.state.params = {};
    app.state.starts = { clicks: [], random: 0, grid: 0, defaults: true };
    app.state.batch = Math.min(app.state.batch, surface().n_examples);
    app.analysis = null;
    render();
    changed({ grid: true });
  });
  $("add-random").addEventListener("click", () => {
    app.state.starts.random = Math.min(10000, app.state.starts.random + Math.max(1, Number($("random-count").value) || 1));
    changed();
  });
  $("add-grid").addEventListener("click", () => {
    app.state.starts.grid = 10;
    changed();
  });
  $("default-starts").addEventListener("click", () => {
    app.state.starts.defaults = true;
    changed();
  });
  $("clear-starts").addEventListener("click", () => {
    app.state.starts = { clicks: [], random: 0, grid: 0, defaults: false };
    app.run = null;
    changed();
  });
  for (const [id, key, max] of [["steps", "steps", 5000], ["batch-size", "batch", 64], ["seed", "seed", 4294967295]]) {
    $(id).addEventListener("change", () => {
      const limit = key === "batch" ? surface().n_examples : max;
      const v = Math.max(key === "steps" ? 1 : 0, Math.min(limit, Math.round(Number($(id).value) || 0)));
      app.state[key] = v;
      $(id).value = String(v);
      changed();
    });
  }
  $("play").addEventListener("click", play);
  $("time").addEventListener("input", () => {
    app.playing = false;
    setTime(Number($("time").value));
  });
  $("escape").addEventListener("click", escape);
  $("basin-map").addEventListener("click", showBasins);
  $("analyze-point").addEventListener("click", () => {
    const point = [Number($("point-x").value), Number($("point-y").value)];
    if (point.every(Number.isFinite)) showAnalysis(point);
  });
}

function wirePlotClicks() {
  const plot = $("surface-plot");
  plot.on("plotly_click", (event) => {
    const p = event.points && event.points[0];
    if (!p || p.x === undefined || p.y === undefined) return;
    const point = [Number(p.x), Number(p.y)];
    const mode = document.querySelector("input[name=click-mode]:checked").value;
    if (mode === "analyze") {
      $("point-x").value = String(point[0]);
      $("point-y").value = String(point[1]);
      showAnalysis(point);
    }
    else {
      app.state.starts.clicks.push(point);
      changed();
    }
  });
}

async function start() {
  app.surfaces = await getSurfaces();
  app.state = fromHash(window.location.hash, app.surfaces);
  render();
  wire();
  app.grid = await getGrid(app.state.surface, app.state.params);
  drawSurface();
  wirePlotClicks();
  changed();
}

window.addEventListener("hashchange", () => {
  const next = fromHash(window.location.hash, app.surfaces);
  if (toHash(next) === toHash(app.state)) return;
  app.state = next;
  render();
  changed({ grid: true });
});

start();
