// The whole app state: one object with a declared schema, mirrored in the URL hash so that a
// copied link reproduces the run exactly (the seed included). Pure: no DOM here.

export const MAX_CONFIGS = 4;
export const PRESET_NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];
export const MOMENTUM_MODES = ["none", "heavy_ball", "nesterov", "adam"];
export const SIGMA_MODES = ["none", "adagrad", "rmsprop", "adam"];
export const SCHEDULES = ["constant", "inv_sqrt", "exponential", "cosine"];

// The server's presets (surfaces/optimizer.py), written out so the toggles show what a
// preset means.
export const PRESETS = {
  sgd: { lr: 0.01, momentum: "none", sigma: "none" },
  momentum: { lr: 0.01, momentum: "heavy_ball", lam: 0.9, sigma: "none" },
  nesterov: { lr: 0.01, momentum: "nesterov", lam: 0.9, sigma: "none" },
  adagrad: { lr: 0.1, momentum: "none", sigma: "adagrad", eps: 1e-8 },
  rmsprop: { lr: 0.01, momentum: "none", sigma: "rmsprop", alpha: 0.9, eps: 1e-8 },
  adam: { lr: 0.01, momentum: "adam", beta1: 0.9, sigma: "adam", beta2: 0.999, eps: 1e-8 },
};

const CONFIG_SCHEMA = {
  lr: { min: 1e-5, max: 100, default: 0.01 },
  momentum: { choices: MOMENTUM_MODES, default: "none" },
  lam: { min: 0, max: 0.999, default: 0.9 },
  beta1: { min: 0, max: 0.9999, default: 0.9 },
  sigma: { choices: SIGMA_MODES, default: "none" },
  alpha: { min: 0, max: 0.9999, default: 0.9 },
  beta2: { min: 0, max: 0.99999, default: 0.999 },
  eps: { min: 0, max: 1, default: 1e-8 },
  schedule: { choices: SCHEDULES, default: "constant" },
  decay_rate: { min: 1e-6, max: 1, default: 0.99 },
  warmup_steps: { min: 0, max: 100000, default: 0 },
};

// A typed formula (surface "custom"): the text as typed and the plot domain. The server
// checks the formula; here it is only bounded in length.
export const DEFAULT_FORMULA = "x**2 + 10*y**2 + 0.3*sin(5*x)";
export const MAX_FORMULA = 300;
const DOMAIN_LIMIT = 1000;

export function defaultCustom() {
  return { formula: DEFAULT_FORMULA, domain: [[-3, 3], [-3, 3]] };
}

function sanitizeCustom(raw) {
  const out = defaultCustom();
  if (!raw || typeof raw !== "object") return out;
  if (typeof raw.formula === "string" && raw.formula.length <= MAX_FORMULA) out.formula = raw.formula;
  const d = raw.domain;
  const ok =
    Array.isArray(d) &&
    d.length === 2 &&
    d.every((r) => Array.isArray(r) && r.length === 2 && r.every((v) => Number.isFinite(v) && Math.abs(v) <= DOMAIN_LIMIT) && r[0] < r[1]);
  if (ok) out.domain = d.map((r) => [r[0], r[1]]);
  return out;
}

// optax's optimizers (GET /api/optimizers): {optax: name, hyper: {name: value}}. Values are
// clamped to the listed ranges; static values must be one of their choices.
export function optaxConfig(entry, hyper = {}) {
  const out = { optax: entry.name, hyper: {} };
  for (const h of entry.hyper) out.hyper[h.name] = number(hyper[h.name], { min: h.min_allowed ? h.min : h.min + 1e-12, max: h.max, default: h.default });
  for (const s of entry.static) out.hyper[s.name] = s.choices.includes(hyper[s.name]) ? hyper[s.name] : s.default;
  return out;
}

export function isOptax(config) {
  return typeof config.optax === "string";
}

export function configFromPreset(name) {
  const base = Object.fromEntries(Object.entries(CONFIG_SCHEMA).map(([k, v]) => [k, v.default]));
  return { ...base, ...PRESETS[name] };
}

export function defaultState() {
  return {
    lang: "en",
    surface: "narrow_valley",
    custom: defaultCustom(), // used when surface is "custom"
    params: {},
    starts: { clicks: [], random: 0, grid: 0, defaults: true },
    configs: [configFromPreset("sgd")],
    active: 0,
    steps: 300,
    batch: 0,
    seed: 0,
    view: "contour", // or "3d"
    test: false, // the test surface over the training one, where the surface has a test set
    selected: null, // { config, start }: the start whose own curves the charts show
    speed: 1,
  };
}

export const VIEWS = ["contour", "3d"];
// A custom surface's one parameter (surfaces/custom.py): additive minibatch noise.
const CUSTOM_NOISE = { name: "noise", min: 0, max: 5, default: 0 };
export const SPEEDS = [0.25, 0.5, 1, 2, 4];

function number(value, { min, max, default: fallback }, integer = false) {
  let v = typeof value === "number" && Number.isFinite(value) ? value : fallback;
  v = Math.min(max, Math.max(min, v));
  return integer ? Math.round(v) : v;
}

function sanitizeConfig(raw) {
  const out = {};
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
    const value = raw && typeof raw === "object" ? raw[key] : undefined;
    out[key] = spec.choices ? (spec.choices.includes(value) ? value : spec.default) : number(value, spec);
  }
  return out;
}

// Anything read from a URL is untrusted: every field is checked and clamped to the schema.
// `surfaces`: the built-in catalogue; `optax`: GET /api/optimizers' optax list.
export function sanitize(raw, surfaces, optax = []) {
  const s = defaultState();
  if (!raw || typeof raw !== "object") return s;
  if (["en", "zh-TW", "zh-CN"].includes(raw.lang)) s.lang = raw.lang;
  const surface = surfaces.find((x) => x.name === raw.surface);
  if (surface) s.surface = surface.name;
  if (raw.surface === "custom") s.surface = "custom";
  s.custom = sanitizeCustom(raw.custom);
  const declared = s.surface === "custom" ? [CUSTOM_NOISE] : (surfaces.find((x) => x.name === s.surface) || { params: [] }).params;
  if (raw.params && typeof raw.params === "object") {
    for (const p of declared) {
      if (p.name in raw.params) s.params[p.name] = number(raw.params[p.name], { min: p.min, max: p.max, default: p.default });
    }
  }
  const st = raw.starts && typeof raw.starts === "object" ? raw.starts : {};
  s.starts.clicks = Array.isArray(st.clicks)
    ? st.clicks.slice(0, 1000).filter((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite))
    : [];
  s.starts.random = number(st.random, { min: 0, max: 10000, default: 0 }, true);
  s.starts.grid = number(st.grid, { min: 0, max: 100, default: 0 }, true);
  s.starts.defaults = st.defaults === undefined ? true : Boolean(st.defaults);
  if (Array.isArray(raw.configs) && raw.configs.length) {
    s.configs = raw.configs.slice(0, MAX_CONFIGS).map((c) => {
      const entry = c && typeof c === "object" && optax.find((o) => o.name === c.optax);
      return entry ? optaxConfig(entry, c.hyper && typeof c.hyper === "object" ? c.hyper : {}) : sanitizeConfig(c);
    });
  }
  s.active = number(raw.active, { min: 0, max: s.configs.length - 1, default: 0 }, true);
  s.steps = number(raw.steps, { min: 1, max: 5000, default: 300 }, true);
  s.batch = number(raw.batch, { min: 0, max: 64, default: 0 }, true);
  s.seed = number(raw.seed, { min: 0, max: 4294967295, default: 0 }, true);
  if (VIEWS.includes(raw.view)) s.view = raw.view;
  s.test = raw.test === true;
  const sel = raw.selected;
  if (sel && typeof sel === "object") {
    s.selected = {
      config: number(sel.config, { min: 0, max: s.configs.length - 1, default: 0 }, true),
      start: number(sel.start, { min: 0, max: 9999, default: 0 }, true),
    };
  }
  if (SPEEDS.includes(raw.speed)) s.speed = raw.speed;
  return s;
}

export function toHash(state) {
  return "#" + encodeURIComponent(JSON.stringify(state));
}

export function fromHash(hash, surfaces, optax = []) {
  if (!hash || hash.length < 2) return defaultState();
  try {
    return sanitize(JSON.parse(decodeURIComponent(hash.slice(1))), surfaces, optax);
  } catch {
    return defaultState();
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
export function startPoints(state, surface) {
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
  return points.slice(0, 10000);
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
export function runRequest(state, surface) {
  const starts = startPoints(state, surface);
  return {
    ...surfaceRequest(state),
    surface_params: state.params,
    optimizers: state.configs.map((c) => optimizerRequest(c, state.steps)),
    starts,
    steps: state.steps,
    batch_size: state.batch > 0 ? state.batch : null,
    seed: state.seed,
  };
}
