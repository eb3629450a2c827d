// The network lab's state as plain data, and its changes as pure functions (no DOM): the task,
// the model, the configurations raced (the same optimizer configurations as the surfaces'),
// the run's sizes, the network picked. Every bound and default comes from the server
// (`nets`: GET /api/nets; `catalog`: the surfaces' catalogue with presets and limits).
import { configFromPreset, maxConfigs, optaxConfig, optimizerRequest } from "./state.js";

function number(value, min, max, fallback, integer = false) {
  let v = typeof value === "number" && Number.isFinite(value) ? value : fallback;
  v = Math.min(max, Math.max(min, v));
  return integer ? Math.round(v) : v;
}

export function defaultLab(nets, catalog) {
  const d = nets.defaults;
  const config = configFromPreset(d.preset in catalog.presets ? d.preset : Object.keys(catalog.presets)[0], catalog);
  config.lr = d.lr;
  return {
    task: { ...d.task },
    model: { ...d.model, hidden: [...d.model.hidden] },
    configs: [config],
    active: 0,
    batch: d.batch_size,
    batches: [], // per configuration: null takes `batch`; 0 is full batch
    networks: d.networks,
    steps: d.steps,
    seed: d.seed,
    selected: { config: 0, network: 0 },
    other: null, // the network at the line's far end (null: the next configuration's, or the next network)
    plane: d.plane,
    planeTest: false, // the plane shows the test loss instead of the training loss
    chart: nets.charts[0],
  };
}

// "16, 16" → [16, 16]; "" → [] (a linear model); widths clamped, at most max_depth layers.
export function parseHidden(text, limits) {
  const parts = String(text)
    .split(/[\s,×x]+/)
    .filter(Boolean)
    .map((p) => Math.round(Number(p)))
    .filter((v) => Number.isFinite(v) && v > 0);
  return parts.slice(0, limits.max_depth).map((v) => Math.min(limits.max_width, Math.max(1, v)));
}

// Untrusted input (a URL, a lesson scene) checked and clamped to what the server declares.
export function sanitizeLab(raw, nets, catalog) {
  const s = defaultLab(nets, catalog);
  if (!raw || typeof raw !== "object") return s;
  const L = nets.limits;
  const t = raw.task && typeof raw.task === "object" ? raw.task : {};
  const spec = nets.tasks.find((x) => x.name === t.name);
  if (spec) s.task.name = spec.name;
  const task = nets.tasks.find((x) => x.name === s.task.name);
  const cap = task.size ? Math.floor(task.size / 2) : L.max_points;
  s.task.n_train = number(t.n_train, 1, Math.min(L.max_points, cap), Math.min(s.task.n_train, cap), true);
  s.task.n_test = number(t.n_test, 1, Math.min(L.max_points, cap), Math.min(s.task.n_test, cap), true);
  s.task.noise = t.noise === null || t.noise === undefined ? null : number(t.noise, task.noise.min, task.noise.max, task.noise.default);
  for (const f of nets.task_fields) s.task[f.name] = number(t[f.name], f.min, f.max, f.default);
  s.task.seed = number(t.seed, 0, catalog.limits.max_seed, 0, true);
  const m = raw.model && typeof raw.model === "object" ? raw.model : {};
  if (Array.isArray(m.hidden)) s.model.hidden = parseHidden(m.hidden.join(","), L);
  for (const f of nets.model_fields) {
    if (f.kind === "choice") s.model[f.name] = f.choices.includes(m[f.name]) ? m[f.name] : f.default;
    else s.model[f.name] = number(m[f.name], f.min, f.max, f.default);
  }
  if (task.losses && !task.losses.includes(s.model.loss)) s.model.loss = task.losses[0];
  if (Array.isArray(raw.configs) && raw.configs.length) {
    s.configs = raw.configs.slice(0, maxConfigs(catalog)).map((c) => sanitizeConfig(c, catalog));
  }
  s.active = number(raw.active, 0, s.configs.length - 1, 0, true);
  s.batch = number(raw.batch, 0, s.task.n_train, Math.min(s.batch, s.task.n_train), true);
  s.batches = Array.isArray(raw.batches)
    ? raw.batches.slice(0, s.configs.length).map((b) => (b === null || b === undefined ? null : number(b, 0, s.task.n_train, 0, true)))
    : [];
  s.networks = number(raw.networks, 1, L.max_networks, s.networks, true);
  s.steps = number(raw.steps, 1, L.max_steps, s.steps, true);
  s.seed = number(raw.seed, 0, catalog.limits.max_seed, 0, true);
  const sel = raw.selected && typeof raw.selected === "object" ? raw.selected : {};
  s.selected = { config: number(sel.config, 0, s.configs.length - 1, 0, true), network: number(sel.network, 0, s.networks - 1, 0, true) };
  const kinds = nets.plane_fields.find((f) => f.name === "kind").choices;
  if (kinds.includes(raw.plane)) s.plane = raw.plane;
  s.planeTest = raw.planeTest === true;
  if (nets.charts.includes(raw.chart)) s.chart = raw.chart;
  const other = raw.other && typeof raw.other === "object" ? raw.other : null;
  if (other) s.other = { config: number(other.config, 0, s.configs.length - 1, 0, true), network: number(other.network, 0, s.networks - 1, 0, true) };
  return s;
}

// A configuration from outside: the surfaces' sanitiser's rules (state.js), by way of a
// one-configuration surfaces state.
function sanitizeConfig(c, catalog) {
  const entry = c && typeof c === "object" && catalog.optax.find((o) => o.name === c.optax);
  if (entry) return optaxConfig(entry, c.hyper && typeof c.hyper === "object" ? c.hyper : {});
  const base = configFromPreset(Object.keys(catalog.presets)[0], catalog);
  const out = {};
  for (const [name, value] of Object.entries(base)) {
    const field = catalog.fields.find((f) => f.name === name);
    const v = c && typeof c === "object" ? c[name] : undefined;
    if (!field) out[name] = value;
    else if (field.kind === "choice") out[name] = field.choices.includes(v) ? v : value;
    else out[name] = number(v, field.min, field.max, value);
  }
  return out;
}

// A configuration's batch size (0: full batch).
export function labBatch(lab, i) {
  const own = (lab.batches || [])[i];
  return own === null || own === undefined ? lab.batch : own;
}

// The request the server takes (LabSpec): over the WebSocket and in every later request
// about the run (the server finds the run it keeps by it).
export function labRequest(lab) {
  const sizes = lab.configs.map((_, i) => labBatch(lab, i));
  const same = sizes.every((b) => b === sizes[0]);
  return {
    task: { ...lab.task },
    model: { ...lab.model, hidden: [...lab.model.hidden] },
    optimizers: lab.configs.map((c) => optimizerRequest(c, lab.steps)),
    networks: lab.networks,
    steps: lab.steps,
    batch_size: same ? (sizes[0] > 0 ? sizes[0] : null) : sizes.map((b) => (b > 0 ? b : null)),
    seed: lab.seed,
  };
}

// Another task: its own noise default; batches clamped to its training set.
export function switchTask(lab, name, nets) {
  const task = nets.tasks.find((x) => x.name === name);
  if (!task) return lab;
  const cap = task.size ? Math.floor(task.size / 2) : nets.limits.max_points;
  const n_train = Math.min(lab.task.n_train, cap);
  // A loss the task takes (a regression has no cross-entropy).
  const loss = task.losses.includes(lab.model.loss) ? lab.model.loss : task.losses[0];
  return {
    ...lab,
    model: { ...lab.model, loss },
    task: { ...lab.task, name, noise: null, n_train, n_test: Math.min(lab.task.n_test, cap) },
    batch: Math.min(lab.batch, n_train),
    batches: (lab.batches || []).map((b) => (b === null || b === undefined ? null : Math.min(b, n_train))),
  };
}

// The picked network, kept inside the run's sizes.
export function pickNetwork(lab, config, network) {
  return {
    ...lab,
    selected: { config: Math.max(0, Math.min(lab.configs.length - 1, config)), network: Math.max(0, Math.min(lab.networks - 1, network)) },
  };
}

// The line's far end: the one chosen, or by default the same initialisation under the next
// configuration (two optimizers' solutions from one start), or with one configuration the next
// network (two starts' solutions).
export function otherNetwork(lab) {
  if (lab.other) return { config: Math.min(lab.other.config, lab.configs.length - 1), network: Math.min(lab.other.network, lab.networks - 1) };
  const { config, network } = lab.selected;
  if (lab.configs.length > 1) return { config: (config + 1) % lab.configs.length, network };
  return { config, network: (network + 1) % Math.max(1, lab.networks) };
}

// The q-quantile of sorted finite values (linear between neighbours).
function quantile(sorted, q) {
  if (!sorted.length) return null;
  const x = (sorted.length - 1) * q;
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (x - i) : sorted[i];
}

// Median and the 10–90 % band over networks at each record: rows [K][N] (null: diverged).
export function band(rows) {
  const out = { median: [], low: [], high: [], alive: [] };
  for (const row of rows) {
    const v = row.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
    out.median.push(quantile(v, 0.5));
    out.low.push(quantile(v, 0.1));
    out.high.push(quantile(v, 0.9));
    out.alive.push(v.length);
  }
  return out;
}

// The lab's part of the page's URL: the mode shown and the lab's state (the surfaces' part is
// state.js's). Anything unreadable gives the defaults.
export const MODES = ["surfaces", "nets"];
export function labFromHash(hash, nets, catalog) {
  let raw = null;
  try {
    raw = hash && hash.length > 1 ? JSON.parse(decodeURIComponent(hash.slice(1))) : null;
  } catch {
    raw = null;
  }
  const mode = raw && MODES.includes(raw.mode) ? raw.mode : MODES[0];
  return { mode, lab: sanitizeLab(raw && raw.lab, nets, catalog) };
}
