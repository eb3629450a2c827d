// The network lab's state: pure functions of the state and the served catalogues.
import assert from "node:assert/strict";
import { test } from "node:test";

import { band, defaultLab, labFromHash, labRequest, otherNetwork, parseHidden, pickNetwork, sanitizeLab, switchTask } from "../../static/js/labstate.js";
import { earlyStops, finalMedians, lineTraces, planeTraces, ratioTraces, taskTraces } from "../../static/js/labcharts.js";

const CATALOG = {
  fields: [
    { name: "lr", kind: "number", min: 0, max: 100, min_allowed: false, default: 0.01, control: true, control_min: 1e-4, control_max: 10 },
    { name: "momentum", kind: "choice", choices: ["none", "adam"], default: "none" },
    { name: "decay_steps", kind: "number", min: 1, max: 1e7, default: 1000, control: false },
  ],
  presets: { sgd: { lr: 0.01, momentum: "none" }, adam: { lr: 0.001, momentum: "adam" } },
  optax: [],
  limits: { max_seed: 2 ** 32 - 1, max_configs: 8 },
};
const noise = (dflt, max) => ({ name: "noise", kind: "number", min: 0, max, default: dflt, control_min: 0, control_max: max });
const NETS = {
  defaults: {
    task: { name: "moons", n_train: 256, n_test: 256, noise: null, shift: 0, label_noise: 0, feature_scale: 1, seed: 0 },
    model: { hidden: [16, 16], activation: "relu", norm: "none", loss: "ce", init_scale: 1 },
    networks: 32,
    steps: 1000,
    batch_size: 32,
    seed: 0,
    preset: "adam",
    lr: 0.01,
    plane: "pca",
  },
  tasks: [
    { name: "moons", kind: "classify", classes: 2, size: null, noise: noise(0.2, 2), losses: ["ce", "mse"] },
    { name: "digits", kind: "classify", classes: 10, size: 1797, noise: noise(0, 1), losses: ["ce", "mse"] },
    { name: "sine", kind: "regress", classes: 0, size: null, noise: noise(0.05, 1), losses: ["mse"] },
  ],
  task_fields: [{ name: "shift", kind: "number", min: -10, max: 10, default: 0 }],
  model_fields: [
    { name: "activation", kind: "choice", choices: ["relu", "tanh"], default: "relu" },
    { name: "init_scale", kind: "number", min: 0, max: 100, default: 1 },
  ],
  plane_fields: [{ name: "kind", kind: "choice", choices: ["filter", "pca", "points"], default: "filter" }],
  charts: ["acc", "grad", "lr", "line"],
  limits: { max_networks: 256, max_steps: 20000, max_points: 2048, max_depth: 16, max_width: 1024 },
};

test("the defaults are the server's, with its default optimizer", () => {
  const s = defaultLab(NETS, CATALOG);
  assert.equal(s.task.name, "moons");
  assert.deepEqual(s.model.hidden, [16, 16]);
  assert.equal(s.configs[0].momentum, "adam");
  assert.equal(s.configs[0].lr, 0.01);
  assert.equal(s.plane, "pca");
});

test("anything from a URL is clamped to the declared bounds", () => {
  const s = sanitizeLab(
    {
      task: { name: "digits", n_train: 5000, shift: 99, noise: -3 },
      model: { hidden: [0, 7, "x", 5000], activation: "gelu", init_scale: Infinity },
      networks: 1e9,
      steps: -4,
      batch: 1e6,
      selected: { config: 9, network: 1e6 },
      plane: "<script>",
      configs: [{ lr: 1e9, momentum: "bogus" }],
    },
    NETS,
    CATALOG,
  );
  assert.equal(s.task.name, "digits");
  assert.equal(s.task.n_train, 898); // half of the 1,797 digits: room for a test set
  assert.equal(s.task.shift, 10);
  assert.equal(s.task.noise, 0);
  assert.deepEqual(s.model.hidden, [7, 1024]);
  assert.equal(s.model.activation, "relu");
  assert.equal(s.model.init_scale, 1);
  assert.equal(s.networks, 256);
  assert.equal(s.steps, 1);
  assert.equal(s.batch, 898);
  assert.deepEqual(s.selected, { config: 0, network: 255 });
  assert.equal(s.plane, "pca");
  assert.equal(s.planeTest, false);
  assert.equal(s.configs[0].lr, 100);
  assert.equal(s.configs[0].momentum, "none");
});

test("a malformed hash gives the defaults, a good one round-trips", () => {
  assert.deepEqual(labFromHash("#%E0%A4%A", NETS, CATALOG), { mode: "surfaces", lab: defaultLab(NETS, CATALOG) });
  const lab = { ...defaultLab(NETS, CATALOG), steps: 77, selected: { config: 0, network: 5 } };
  const back = labFromHash("#" + encodeURIComponent(JSON.stringify({ mode: "nets", lab })), NETS, CATALOG);
  assert.equal(back.mode, "nets");
  assert.deepEqual(back.lab, lab);
});

test("the request: one batch size when all agree, full batch as null, decay over the run", () => {
  let s = defaultLab(NETS, CATALOG);
  let r = labRequest(s);
  assert.equal(r.batch_size, 32);
  assert.equal(r.optimizers[0].decay_steps, 1000);
  s = { ...s, configs: [s.configs[0], { ...s.configs[0] }], batches: [16, 0] };
  r = labRequest(s);
  assert.deepEqual(r.batch_size, [16, null]);
  assert.equal(labRequest({ ...defaultLab(NETS, CATALOG), batch: 0 }).batch_size, null);
});

test("hidden widths typed as text", () => {
  assert.deepEqual(parseHidden("16, 16", NETS.limits), [16, 16]);
  assert.deepEqual(parseHidden("32x32x32", NETS.limits), [32, 32, 32]);
  assert.deepEqual(parseHidden("", NETS.limits), []);
  assert.deepEqual(parseHidden("-3, 2.6, 1e9", NETS.limits), [3, 1024]);
  assert.equal(parseHidden(Array(40).fill(4).join(","), NETS.limits).length, 16);
});

test("switching task clamps the sizes and batches to its data; picking stays in the run", () => {
  const s = { ...defaultLab(NETS, CATALOG), task: { ...defaultLab(NETS, CATALOG).task, n_train: 2048 }, batch: 2000, batches: [1500] };
  const d = switchTask(s, "digits", NETS);
  assert.equal(d.task.n_train, 898);
  assert.equal(d.batch, 898);
  assert.deepEqual(d.batches, [898]);
  assert.equal(switchTask(s, "nope", NETS), s);
  assert.equal(switchTask(s, "sine", NETS).model.loss, "mse"); // a regression has no cross-entropy
  assert.equal(sanitizeLab({ task: { name: "sine" }, model: { loss: "ce" } }, NETS, CATALOG).model.loss, "mse");
  assert.deepEqual(pickNetwork(s, 5, -2).selected, { config: 0, network: 0 });
});

test("the line's far end: the next configuration's network from the same start, or the next network", () => {
  const one = { ...defaultLab(NETS, CATALOG), networks: 4, selected: { config: 0, network: 3 } };
  assert.deepEqual(otherNetwork(one), { config: 0, network: 0 });
  const two = { ...one, configs: [one.configs[0], one.configs[0]], selected: { config: 1, network: 2 } };
  assert.deepEqual(otherNetwork(two), { config: 0, network: 2 });
  assert.deepEqual(otherNetwork({ ...two, other: { config: 7, network: 9 } }), { config: 1, network: 3 });
  assert.equal(sanitizeLab({ chart: "nope" }, NETS, CATALOG).chart, "acc");
  assert.equal(sanitizeLab({ chart: "line" }, NETS, CATALOG).chart, "line");
});

test("band: median and 10–90 % over networks, diverged ones left out", () => {
  const rows = [
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    [null, 5, 5, 5],
    [null, null],
  ];
  const b = band(rows);
  assert.deepEqual(b.median, [6, 5, null]);
  assert.deepEqual(b.low, [2, 5, null]);
  assert.deepEqual(b.high, [10, 5, null]);
  assert.deepEqual(b.alive, [11, 3, 0]);
});

const RUN = {
  configs: 2,
  networks: 3,
  steps: [0, 10],
  task: { kind: "classify", classes: 2, input_dim: 2, x_train: [[0, 0], [1, 1], [2, 2]], y_train: [0, 1, 1], x_test: [[3, 3]], y_test: [0] },
  records: {
    train_loss: [
      [[1, 1, 1], [0.5, 0.1, 0.3]],
      [[1, 1, 1], [null, 0.2, 0.4]],
    ],
  },
};

test("the side panel's numbers are the last record's medians", () => {
  assert.deepEqual(finalMedians(RUN, "train_loss"), [0.3, 0.30000000000000004]);
});

test("the task picture: every training point once, in its class's trace", () => {
  const field = { x: [0, 1], y: [0, 1], value: [[0, 1], [1, 1]], confidence: [[0.9, 0.6], [0.99, 0.5]] };
  const traces = taskTraces(RUN.task, field, { train: "train", test: "test" });
  assert.equal(traces[0].type, "heatmap");
  assert.deepEqual(traces[0].colorscale[traces[0].colorscale.length - 1][0], 1); // Plotly wants the scale to end at 1
  const train = traces.filter((t) => t.name && t.name.startsWith("train"));
  assert.deepEqual(train.map((t) => t.x.length), [1, 2]);
  // Confidence 0.5 of 2 classes is "unsure": the faint end of its class's colours.
  assert.equal(traces[0].z[1][1], 1);
});

test("the plane: log of the loss, the paths in their configuration's colour, the picked network at 0", () => {
  const plane = { x: [-1, 1], y: [-1, 1], train: [[10, 1], [0.1, 0]], test: [[1, 1], [1, 1]], path: { config: 1, x: [1, 0], y: [1, 0] }, others: [] };
  const traces = planeTraces(plane, ["a", "b"], { names: { colorbar: "", picked: "p", start: "s" } });
  assert.deepEqual(traces[0].z, [[1, 0], [-1, null]]);
  assert.equal(traces[1].name, "b");
  const at = (name) => traces.find((tr) => tr.name === name);
  assert.deepEqual([at("p").x, at("p").y], [[0], [0]]);
  assert.deepEqual([at("s").x, at("s").y], [[1], [1]]); // the path's first point
});

test("the minimum-ratio figure marks the picked network", () => {
  const h = { networks: { network: [0, 2], train_loss: [0.1, 0.01], minimum_ratio: [0.2, 0.5], per_layer_ratio: [0.6, 0.7] } };
  const traces = ratioTraces(h, { config: 0, network: 2 }, { full: "f", perLayer: "l", picked: "p" });
  assert.deepEqual([traces[2].x, traces[2].y], [[0.01], [0.5]]);
  assert.equal(ratioTraces(h, { config: 0, network: 1 }, { full: "f", perLayer: "l", picked: "p" }).length, 2);
});

test("the line chart marks both networks where the line passes them", () => {
  const line = { alpha: [-0.5, 0, 0.5, 1, 1.5], train: [5, 1, 3, 2, 6], test: [5, 2, 3, 3, 6], distance: 4 };
  const traces = lineTraces(line, { train: "train", test: "test", ends: "ends" });
  assert.deepEqual(traces[2].x, [0, 1]);
  assert.deepEqual(traces[2].y, [1, 2]);
  assert.deepEqual(lineTraces(null, {}), []);
});

test("the early-stopping marker sits at the median test loss's minimum, only if it rose after", () => {
  const run = { configs: 2, steps: [0, 10, 20, 30], records: { test_loss: [
    [[1, 1], [0.4, 0.6], [0.8, 0.8], [1, 1.4]],
    [[1, 1], [0.5, 0.5], [0.4, 0.4], [0.3, 0.3]],
  ] } };
  const marks = earlyStops(run, { earlyStop: "stop" });
  assert.equal(marks.length, 1);
  assert.deepEqual([marks[0].x, marks[0].y, marks[0].meta], [[10], [0.5], { earlyStop: 0 }]);
});
