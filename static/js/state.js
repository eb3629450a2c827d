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

export function configFromPreset(name) {
  const base = Object.fromEntries(Object.entries(CONFIG_SCHEMA).map(([k, v]) => [k, v.default]));
  return { ...base, ...PRESETS[name] };
}

export function defaultState() {
  return {
    lang: "en",
    surface: "narrow_valley",
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
export function sanitize(raw, surfaces) {
  const s = defaultState();
  if (!raw || typeof raw !== "object") return s;
  if (["en", "zh-TW", "zh-CN"].includes(raw.lang)) s.lang = raw.lang;
  const surface = surfaces.find((x) => x.name === raw.surface);
  if (surface) s.surface = surface.name;
  const declared = (surfaces.find((x) => x.name === s.surface) || { params: [] }).params;
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
  if (Array.isArray(raw.configs) && raw.configs.length) s.configs = raw.configs.slice(0, MAX_CONFIGS).map(sanitizeConfig);
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

export function fromHash(hash, surfaces) {
  if (!hash || hash.length < 2) return defaultState();
  try {
    return sanitize(JSON.parse(decodeURIComponent(hash.slice(1))), surfaces);
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

// The body of a run request (POST /api/run or the WebSocket's "run" message).
export function runRequest(state, surface) {
  const starts = startPoints(state, surface);
  return {
    surface: state.surface,
    surface_params: state.params,
    optimizers: state.configs.map((c) => ({ ...c, decay_steps: Math.max(1, state.steps) })),
    starts,
    steps: state.steps,
    batch_size: state.batch > 0 ? state.batch : null,
    seed: state.seed,
  };
}
