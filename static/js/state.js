// The whole app state: one object with a declared schema, mirrored in the URL hash so that a
// copied link reproduces the run exactly (the seed included). Pure: no DOM here.

// Every bound, choice, preset and limit comes from the server (one declaration in Python):
// `catalog` is {surfaces, fields, presets, optax, limits}, from GET /api/surfaces,
// GET /api/optimizers and GET /api/limits.

// How many configurations the page races side by side (its legend and colours hold four).
export const PAGE_CONFIGS = 4;

export function maxConfigs(catalog) {
  return Math.min(PAGE_CONFIGS, catalog.limits.max_configs);
}

// The lecture rule's fields the page holds: all but those the request derives (decay_steps).
function heldFields(catalog) {
  return catalog.fields.filter((f) => f.kind === "choice" || f.control);
}

function numberBounds(field) {
  // An excluded minimum (a learning rate of 0) is approached, never reached.
  return { min: field.min_allowed ? field.min : field.min + Math.max(1e-12, Math.abs(field.min) * 1e-12), max: field.max, default: field.default };
}

// A typed formula (surface "custom"): the text as typed and the plot domain. The server
// checks the formula; here it is only bounded in length.
export const DEFAULT_FORMULA = "x**2 + 10*y**2 + 0.3*sin(5*x)";

export function defaultCustom() {
  return { formula: DEFAULT_FORMULA, domain: [[-3, 3], [-3, 3]] };
}

function sanitizeCustom(raw, limits) {
  const out = defaultCustom();
  if (!raw || typeof raw !== "object") return out;
  if (typeof raw.formula === "string" && raw.formula.length <= limits.formula_max_length) out.formula = raw.formula;
  const d = raw.domain;
  const ok =
    Array.isArray(d) &&
    d.length === 2 &&
    d.every((r) => Array.isArray(r) && r.length === 2 && r.every((v) => Number.isFinite(v) && Math.abs(v) <= limits.domain_bound) && r[0] < r[1]);
  if (ok) out.domain = d.map((r) => [r[0], r[1]]);
  return out;
}

// optax's optimizers (GET /api/optimizers): {optax: name, hyper: {name: value}}. Values are
// clamped to the listed ranges; static values must be one of their choices.
export function optaxConfig(entry, hyper = {}) {
  const out = { optax: entry.name, hyper: {} };
  for (const h of entry.hyper) out.hyper[h.name] = number(hyper[h.name], numberBounds(h));
  for (const s of entry.static) out.hyper[s.name] = s.choices.includes(hyper[s.name]) ? hyper[s.name] : s.default;
  return out;
}

export function isOptax(config) {
  return typeof config.optax === "string";
}

// A preset as the page holds it: every held field of the rule, as the server's preset sets it.
export function configFromPreset(name, catalog) {
  const preset = catalog.presets[name] || Object.values(catalog.presets)[0];
  return Object.fromEntries(heldFields(catalog).map((f) => [f.name, preset[f.name]]));
}

export function defaultState(catalog) {
  return {
    lang: "en",
    surface: "narrow_valley",
    custom: defaultCustom(), // used when surface is "custom"
    params: {},
    starts: { clicks: [], random: 0, grid: 0, defaults: true },
    configs: [configFromPreset(Object.keys(catalog.presets)[0], catalog)],
    active: 0,
    steps: 300,
    batch: 0,
    batches: [], // per configuration: null takes `batch`, 0 is full batch (compare mode races batch sizes)
    seed: 0,
    view: "contour", // or "3d"
    test: false, // the test surface over the training one, where the surface has a test set
    selected: null, // { config, start }: the start whose own curves the charts show
    speed: 1,
    lesson: null, // { lesson, scene }: ids of the lesson scene shown, so a link or a reload keeps it
  };
}

// Whether a field of the rule matters under a configuration's choices (λ only with momentum).
export function fieldShown(field, config) {
  return !field.shown_when || field.shown_when.values.includes(config[field.shown_when.field]);
}

export const VIEWS = ["contour", "3d"];
export const SPEEDS = [0.25, 0.5, 1, 2, 4];

function number(value, { min, max, default: fallback }, integer = false) {
  let v = typeof value === "number" && Number.isFinite(value) ? value : fallback;
  v = Math.min(max, Math.max(min, v));
  return integer ? Math.round(v) : v;
}

function sanitizeConfig(raw, catalog) {
  const out = {};
  for (const field of heldFields(catalog)) {
    const value = raw && typeof raw === "object" ? raw[field.name] : undefined;
    out[field.name] = field.kind === "choice" ? (field.choices.includes(value) ? value : field.default) : number(value, numberBounds(field));
  }
  return out;
}

// Anything read from a URL is untrusted: every field is checked and clamped to what the server
// declares (`catalog`, see above).
export function sanitize(raw, catalog) {
  const s = defaultState(catalog);
  if (!raw || typeof raw !== "object") return s;
  const { surfaces, optax, limits } = catalog;
  if (["en", "zh-TW", "zh-CN"].includes(raw.lang)) s.lang = raw.lang;
  const surface = surfaces.find((x) => x.name === raw.surface);
  if (surface) s.surface = surface.name;
  if (raw.surface === "custom") s.surface = "custom";
  s.custom = sanitizeCustom(raw.custom, limits);
  const declared = s.surface === "custom" ? limits.custom_params : (surfaces.find((x) => x.name === s.surface) || { params: [] }).params;
  if (raw.params && typeof raw.params === "object") {
    for (const p of declared) {
      if (p.name in raw.params) s.params[p.name] = number(raw.params[p.name], { min: p.min, max: p.max, default: p.default });
    }
  }
  const st = raw.starts && typeof raw.starts === "object" ? raw.starts : {};
  s.starts.clicks = Array.isArray(st.clicks)
    ? st.clicks.slice(0, limits.max_starts).filter((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))
    : [];
  s.starts.random = number(st.random, { min: 0, max: limits.max_starts, default: 0 }, true);
  s.starts.grid = number(st.grid, { min: 0, max: Math.floor(Math.sqrt(limits.max_starts)), default: 0 }, true);
  s.starts.defaults = st.defaults === undefined ? true : Boolean(st.defaults);
  if (Array.isArray(raw.configs) && raw.configs.length) {
    s.configs = raw.configs.slice(0, maxConfigs(catalog)).map((c) => {
      const entry = c && typeof c === "object" && optax.find((o) => o.name === c.optax);
      return entry ? optaxConfig(entry, c.hyper && typeof c.hyper === "object" ? c.hyper : {}) : sanitizeConfig(c, catalog);
    });
  }
  s.active = number(raw.active, { min: 0, max: s.configs.length - 1, default: 0 }, true);
  s.steps = number(raw.steps, { min: 1, max: limits.max_steps, default: 300 }, true);
  const examples = s.surface === "custom" ? Infinity : (surfaces.find((x) => x.name === s.surface) || { n_examples: 0 }).n_examples;
  s.batch = number(raw.batch, { min: 0, max: examples, default: 0 }, true);
  s.batches = Array.isArray(raw.batches)
    ? raw.batches.slice(0, s.configs.length).map((b) => (b === null || b === undefined ? null : number(b, { min: 0, max: examples, default: 0 }, true)))
    : [];
  s.seed = number(raw.seed, { min: 0, max: limits.max_seed, default: 0 }, true);
  if (VIEWS.includes(raw.view)) s.view = raw.view;
  s.test = raw.test === true;
  const sel = raw.selected;
  if (sel && typeof sel === "object") {
    s.selected = {
      config: number(sel.config, { min: 0, max: s.configs.length - 1, default: 0 }, true),
      start: number(sel.start, { min: 0, max: limits.max_starts - 1, default: 0 }, true),
    };
  }
  if (SPEEDS.includes(raw.speed)) s.speed = raw.speed;
  const lesson = raw.lesson;
  if (lesson && typeof lesson === "object" && typeof lesson.lesson === "string" && typeof lesson.scene === "string") {
    const known = (catalog.lessons || []).find((l) => l.id === lesson.lesson);
    if (known && known.scenes.some((sc) => sc.id === lesson.scene)) s.lesson = { lesson: lesson.lesson, scene: lesson.scene };
  }
  return s;
}

export function toHash(state) {
  return "#" + encodeURIComponent(JSON.stringify(state));
}

export function fromHash(hash, catalog) {
  if (!hash || hash.length < 2) return defaultState(catalog);
  try {
    return sanitize(JSON.parse(decodeURIComponent(hash.slice(1))), catalog);
  } catch {
    return defaultState(catalog);
  }
}

// A small seeded generator (mulberry32), so random starts are the same for the same seed.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The explicit start list a state describes: defaults, a grid, seeded random points, clicks.
export function startPoints(state, surface, maxStarts = Infinity) {
  const [[x0, x1], [y0, y1]] = surface.domain;
  const points = [];
  if (state.starts.defaults) points.push(...surface.default_starts);
  const g = state.starts.grid;
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      points.push([x0 + ((x1 - x0) * (j + 0.5)) / g, y0 + ((y1 - y0) * (i + 0.5)) / g]);
    }
  }
  const rand = mulberry32(state.seed * 7919 + 17);
  for (let i = 0; i < state.starts.random; i++) points.push([x0 + (x1 - x0) * rand(), y0 + (y1 - y0) * rand()]);
  points.push(...state.starts.clicks);
  return points.slice(0, maxStarts);
}

// The surface part of a request: a built-in name, or "custom" with the formula.
export function surfaceRequest(state) {
  return state.surface === "custom" ? { surface: "custom", custom: state.custom } : { surface: state.surface };
}

// One configuration as a request names it.
export function optimizerRequest(config, steps) {
  return isOptax(config) ? { optax: config.optax, hyper: config.hyper } : { ...config, decay_steps: Math.max(1, steps) };
}

// The body of a run request (POST /api/run or the WebSocket's "run" message).
export function runRequest(state, surface, maxStarts = Infinity) {
  const starts = startPoints(state, surface, maxStarts);
  return {
    ...surfaceRequest(state),
    surface_params: state.params,
    optimizers: state.configs.map((c) => optimizerRequest(c, state.steps)),
    starts,
    steps: state.steps,
    batch_size: batchSize(state),
    seed: state.seed,
  };
}

// A configuration's batch size (0: full batch): its own, or the run's.
export function configBatch(state, i) {
  const own = (state.batches || [])[i];
  return own === null || own === undefined ? state.batch : own;
}

// The request's batch_size: one for all (null: full batch), or one per configuration when any
// configuration has its own.
export function batchSize(state) {
  const own = state.configs.map((_, i) => (state.batches || [])[i]);
  if (own.every((b) => b === null || b === undefined)) return state.batch > 0 ? state.batch : null;
  return state.configs.map((_, i) => (configBatch(state, i) > 0 ? configBatch(state, i) : null));
}

// One configuration's own batch size (null: the run's).
export function setConfigBatch(state, i, batch) {
  const batches = state.configs.map((_, k) => (state.batches || [])[k] ?? null);
  batches[i] = batch;
  return { ...state, batches: batches.every((b) => b === null) ? [] : batches };
}

// --- state changes, as pure functions: each returns a new state and leaves its argument alone ---

// Another surface: its own parameters and default starts; the batch clamped to its data set.
export function switchSurface(state, name, catalog) {
  const surface = catalog.surfaces.find((x) => x.name === name);
  const examples = surface ? surface.n_examples : Infinity;
  return {
    ...state,
    surface: name,
    params: {},
    starts: { clicks: [], random: 0, grid: 0, defaults: true },
    batch: Math.min(state.batch, examples),
    batches: (state.batches || []).map((b) => (b === null || b === undefined ? null : Math.min(b, examples))),
    selected: null,
  };
}

// `count` more seeded random starts, never past the server's limit.
export function addRandomStarts(state, count, catalog) {
  const random = Math.min(catalog.limits.max_starts, state.starts.random + Math.max(1, Math.floor(Number(count)) || 1));
  return { ...state, starts: { ...state.starts, random } };
}

export function addGridStarts(state, side = 10) {
  return { ...state, starts: { ...state.starts, grid: side } };
}

export function addDefaultStarts(state) {
  return { ...state, starts: { ...state.starts, defaults: true } };
}

export function clearStarts(state) {
  return { ...state, starts: { clicks: [], random: 0, grid: 0, defaults: false }, selected: null };
}

// One more configuration, a copy of the active one, made active; none past the page's limit.
export function addConfig(state, catalog) {
  if (state.configs.length >= maxConfigs(catalog)) return state;
  const configs = [...state.configs, structuredClone(state.configs[state.active])];
  const batches = (state.batches || []).length ? [...state.configs.map((_, i) => state.batches[i] ?? null), state.batches[state.active] ?? null] : [];
  return { ...state, configs, batches, active: configs.length - 1 };
}

// The active configuration removed (never the last one).
export function removeConfig(state) {
  if (state.configs.length <= 1) return state;
  const configs = state.configs.filter((_, i) => i !== state.active);
  const batches = (state.batches || []).filter((_, i) => i !== state.active);
  return { ...state, configs, batches: batches.every((b) => b === null || b === undefined) ? [] : batches, active: Math.max(0, state.active - 1), selected: null };
}

// A lesson scene's state: the scene's preset, with the person's language and playback speed,
// and the scene's mark (so a reload or a link comes back to it).
export function sceneState(lesson, scene, state, catalog) {
  const next = sanitize({ ...scene.state, lang: state.lang, speed: state.speed }, catalog);
  return { ...next, lesson: { lesson: lesson.id, scene: scene.id } };
}
