import assert from "node:assert/strict";
import { test } from "node:test";

import { configLabel, pointLabel, runLabels } from "../../static/js/labels.js";

const t = (key, values = {}) => ({ warmup_steps: "warm-up", batch_of: `batch ${values.b}`, full_batch: "full batch" })[key] ?? key;
const CATALOG = {
  fields: [
    { name: "lr", kind: "number", control: true, default: 0.01 },
    { name: "momentum", kind: "choice", choices: ["none", "heavy_ball"], default: "none" },
    { name: "lam", kind: "number", control: true, default: 0.9, shown_when: { field: "momentum", values: ["heavy_ball"] } },
    { name: "warmup_steps", kind: "number", control: true, default: 0 },
  ],
  presets: { sgd: { lr: 0.01, momentum: "none", lam: 0.9, warmup_steps: 0 }, momentum: { lr: 0.01, momentum: "heavy_ball", lam: 0.9, warmup_steps: 0 } },
};

test("a preset is named, with its η and any warm-up", () => {
  assert.equal(configLabel({ lr: 0.1, momentum: "none", lam: 0.9, warmup_steps: 0 }, 0, CATALOG, t), "#1 sgd η=0.10");
  assert.equal(configLabel({ lr: 0.3, momentum: "heavy_ball", lam: 0.9, warmup_steps: 50 }, 1, CATALOG, t), "#2 momentum η=0.30 warm-up 50");
});

test("otherwise the choices that differ, with the numbers that go with them", () => {
  assert.equal(configLabel({ lr: 0.1, momentum: "heavy_ball", lam: 0.5, warmup_steps: 0 }, 2, CATALOG, t), "#3 η=0.10 heavy_ball lam=0.5");
  assert.equal(configLabel({ optax: "lion", hyper: { learning_rate: 0.003 } }, 0, CATALOG, t), "#1 lion η=0.0030");
});

test("racing batch sizes, each label says its batch", () => {
  const sgd = { lr: 0.1, momentum: "none", lam: 0.9, warmup_steps: 0 };
  const state = { configs: [sgd, sgd], batch: 0, batches: [null, 1] };
  assert.deepEqual(runLabels(state, CATALOG, t, 64), ["#1 sgd η=0.10 · full batch", "#2 sgd η=0.10 · batch 1"]);
  assert.deepEqual(runLabels({ ...state, batches: [] }, CATALOG, t, 64), ["#1 sgd η=0.10", "#2 sgd η=0.10"]);
});

test("a point in a legend: two decimals at most, no float noise", () => {
  assert.equal(pointLabel([3, 2]), "(3, 2)");
  assert.equal(pointLabel([-2.805118, 3.131312]), "(-2.81, 3.13)");
});
