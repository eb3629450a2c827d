// State changes are pure functions of the state and the served catalogue.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addConfig,
  batchSize,
  configBatch,
  setConfigBatch,
  addRandomStarts,
  clearStarts,
  defaultState,
  fromHash,
  removeConfig,
  runRequest,
  sceneState,
  switchSurface,
  toHash,
} from "../../static/js/state.js";

const FIELDS = [
  { name: "lr", kind: "number", min: 0, max: 100, min_allowed: false, default: 0.01, control: true, control_min: 1e-4, control_max: 10 },
  { name: "momentum", kind: "choice", choices: ["none", "heavy_ball"], default: "none" },
  { name: "decay_steps", kind: "number", min: 1, max: 1e7, default: 1000, control: false },
];
const CATALOG = {
  surfaces: [
    { name: "saddle", n_examples: 64, params: [{ name: "a", min: 0, max: 2, default: 1 }], domain: [[-2, 2], [-1, 1]], default_starts: [[1, 1]] },
    { name: "tiny", n_examples: 8, params: [], domain: [[0, 1], [0, 1]], default_starts: [[0.5, 0.5]] },
  ],
  fields: FIELDS,
  presets: { sgd: { lr: 0.01, momentum: "none" } },
  optax: [],
  limits: { max_starts: 100, max_steps: 1000, max_seed: 2 ** 32 - 1, max_configs: 8, custom_params: [], max_formula_length: 300 },
  lessons: [{ id: "l", scenes: [{ id: "s", state: { surface: "tiny", steps: 7 } }] }],
};

function frozen(state) {
  return JSON.parse(JSON.stringify(state));
}

test("a surface switch resets parameters and starts and clamps the batch to the data set", () => {
  const s = { ...defaultState(CATALOG), surface: "saddle", params: { a: 2 }, batch: 32 };
  const before = frozen(s);
  const next = switchSurface(s, "tiny", CATALOG);
  assert.equal(next.surface, "tiny");
  assert.deepEqual(next.params, {});
  assert.equal(next.batch, 8);
  assert.deepEqual(next.starts, { clicks: [], random: 0, grid: 0, defaults: true });
  assert.deepEqual(frozen(s), before);
});

test("random starts add up to the server's limit and no further", () => {
  let s = defaultState(CATALOG);
  s = addRandomStarts(s, 60, CATALOG);
  assert.equal(s.starts.random, 60);
  s = addRandomStarts(s, 60, CATALOG);
  assert.equal(s.starts.random, 100);
  assert.equal(addRandomStarts(defaultState(CATALOG), "junk", CATALOG).starts.random, 1);
  assert.deepEqual(clearStarts(s).starts, { clicks: [], random: 0, grid: 0, defaults: false });
});

test("configurations: a copy of the active one is added and made active; the last one stays", () => {
  let s = defaultState(CATALOG);
  s = addConfig({ ...s, configs: [{ lr: 0.5, momentum: "none" }] }, CATALOG);
  assert.equal(s.configs.length, 2);
  assert.equal(s.active, 1);
  s.configs[1].lr = 0.1; // a copy, not the same object
  assert.equal(s.configs[0].lr, 0.5);
  s = removeConfig(s);
  assert.deepEqual(s.configs, [{ lr: 0.5, momentum: "none" }]);
  assert.equal(removeConfig(s), s);
  let full = s;
  for (let i = 0; i < 10; i++) full = addConfig(full, CATALOG);
  assert.equal(full.configs.length, 4); // the page's legend holds four
});

test("a scene's state keeps the person's language and speed and names the scene", () => {
  const person = { ...defaultState(CATALOG), lang: "zh-TW", speed: 2 };
  const s = sceneState(CATALOG.lessons[0], CATALOG.lessons[0].scenes[0], person, CATALOG);
  assert.equal(s.surface, "tiny");
  assert.equal(s.steps, 7);
  assert.equal(s.lang, "zh-TW");
  assert.equal(s.speed, 2);
  assert.deepEqual(s.lesson, { lesson: "l", scene: "s" });
});

test("the URL round-trips the state, and anything else in it is clamped or dropped", () => {
  const s = { ...defaultState(CATALOG), surface: "saddle", params: { a: 1.5 }, steps: 42, seed: 9 };
  assert.deepEqual(fromHash(toHash(s), CATALOG), s);
  const hostile = fromHash(toHash({ surface: "nope", steps: 1e9, seed: -4, params: { a: 99 }, configs: [{ lr: "NaN" }] }), CATALOG);
  assert.equal(hostile.steps, 1000);
  assert.equal(hostile.seed, 0);
  assert.ok(Number.isFinite(hostile.configs[0].lr) && hostile.configs[0].lr > 0);
  assert.deepEqual(fromHash("#%E0%A4%A", CATALOG), defaultState(CATALOG)); // malformed
});

test("a run request holds the explicit starts and derives the decay horizon from the steps", () => {
  const s = { ...defaultState(CATALOG), surface: "saddle", steps: 50, starts: { clicks: [[0.1, 0.2]], random: 2, grid: 0, defaults: true } };
  const body = runRequest(s, CATALOG.surfaces[0]);
  assert.equal(body.starts.length, 4);
  assert.deepEqual(body.starts[0], [1, 1]);
  assert.deepEqual(body.starts[3], [0.1, 0.2]);
  assert.equal(body.optimizers[0].decay_steps, 50);
  assert.equal(body.batch_size, null);
});

test("a batch size per configuration: the request lists them only when one differs", () => {
  let s = { ...defaultState(CATALOG), surface: "saddle", batch: 8, configs: [{ lr: 0.1, momentum: "none" }, { lr: 0.1, momentum: "none" }] };
  assert.equal(runRequest(s, CATALOG.surfaces[0]).batch_size, 8);
  s = setConfigBatch(s, 1, 1);
  assert.deepEqual(runRequest(s, CATALOG.surfaces[0]).batch_size, [8, 1]);
  s = setConfigBatch(s, 0, 0); // 0: full batch
  assert.deepEqual(runRequest(s, CATALOG.surfaces[0]).batch_size, [null, 1]);
  assert.equal(configBatch(s, 1), 1);
  s = setConfigBatch(setConfigBatch(s, 0, null), 1, null);
  assert.deepEqual(s.batches, []);
  assert.equal(runRequest(s, CATALOG.surfaces[0]).batch_size, 8);
  // a copied configuration keeps its batch; a removed one takes its batch with it
  s = addConfig({ ...setConfigBatch(s, 1, 2), active: 1 }, CATALOG);
  assert.deepEqual(s.batches, [null, 2, 2]);
  s = removeConfig({ ...s, active: 0 });
  assert.deepEqual(s.batches, [2, 2]);
  // from a URL: clamped to the data set, at most one per configuration
  const back = fromHash(toHash({ ...s, batches: [1e9, -3, 4, 5] }), CATALOG);
  assert.deepEqual(back.batches, [64, 0]);
  assert.deepEqual(batchSize(back), [64, null]); // 64: the whole data set, as the server would take it; 0: full batch
});
