// Talking to the server: JSON routes and the WebSocket run stream (binary float32 frames read
// with typed-array views, no parsing).

async function json(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  return body;
}

export const getSurfaces = () => json("api/surfaces");
export const getLessons = () => json("api/lessons");
export const getTiming = () => json("api/timing");

// An odd n puts a grid point on every axis' middle (the origin of the symmetric domains).
export function getGrid(name, params, n = 121, split = "train") {
  const query = new URLSearchParams({ n: String(n), split, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  return json(`api/surfaces/${encodeURIComponent(name)}/grid?${query}`);
}

export const getOptimizers = () => json("api/optimizers");
export const getLimits = () => json("api/limits");
export const getHealth = () => json("api/health");

// `on`: {surface} or {surface: "custom", custom} (state.js surfaceRequest).
export function analyze(on, params, point) {
  return json("api/analyze", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...on, surface_params: params, point }),
  });
}

// A typed formula checked and drawn on a grid. A refused one throws a FormulaError that says
// where (1-based columns, end inclusive).
export class FormulaError extends Error {
  constructor(message, column, endColumn) {
    super(message);
    this.column = column;
    this.endColumn = endColumn;
  }
}

export async function getCustom(custom, n = 121) {
  const response = await fetch("api/custom", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ custom, n }) });
  const body = await response.json();
  if (response.ok) return body;
  const first = Array.isArray(body.detail) ? body.detail[0] : null;
  if (first && first.type === "formula") throw new FormulaError(first.msg, first.column, first.end_column);
  throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
}

export function basinMap(body) {
  return json("api/basin", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

export function runRest(body) {
  return json("api/run", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

// One WebSocket, reused: each run() supersedes the run in flight (the server stops it within
// a chunk). Callbacks receive a Run whose arrays fill as frames arrive.
export class RunStream {
  constructor({ onStart, onFrame, onDone, onError, onCancelled }) {
    this.handlers = { onStart, onFrame, onDone, onError, onCancelled };
    this.socket = null;
    this.pending = null;
    this.current = null;
  }

  connect() {
    const url = new URL("ws/run", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.onopen = () => {
      if (this.pending) this.socket.send(this.pending);
      this.pending = null;
    };
    this.socket.onmessage = (event) => this.receive(event.data);
    this.socket.onclose = () => {
      this.socket = null;
    };
  }

  run(body) {
    const message = JSON.stringify({ type: "run", ...body });
    if (!this.socket) this.connect();
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
    else this.pending = message;
  }

  // Stop the run in flight; the server answers "cancelled" (and keeps what was sent).
  cancel() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "cancel" }));
  }

  receive(data) {
    if (data instanceof ArrayBuffer) {
      const run = this.current;
      if (!run) return;
      const header = new DataView(data, 0, 16);
      const id = header.getUint32(4, true);
      if (id !== run.id) return;
      const t0 = header.getUint32(8, true);
      const n = header.getUint32(12, true);
      const floats = new Float32Array(data, 16);
      const block = n * run.configs * run.starts;
      // Frames are time-major; the run keeps one array per quantity, also time-major.
      run.positions.set(floats.subarray(0, 2 * block), 2 * t0 * run.configs * run.starts);
      run.loss.set(floats.subarray(2 * block, 3 * block), t0 * run.configs * run.starts);
      run.gradNorm.set(floats.subarray(3 * block, 4 * block), t0 * run.configs * run.starts);
      if (run.testLoss) run.testLoss.set(floats.subarray(4 * block, 5 * block), t0 * run.configs * run.starts);
      run.filled = t0 + n;
      this.handlers.onFrame(run);
      return;
    }
    const message = JSON.parse(data);
    if (message.type === "start") {
      const size = (message.steps + 1) * message.configs * message.starts;
      this.current = {
        id: message.run,
        configs: message.configs,
        starts: message.starts,
        steps: message.steps,
        positions: new Float32Array(2 * size).fill(NaN),
        loss: new Float32Array(size).fill(NaN),
        gradNorm: new Float32Array(size).fill(NaN),
        testLoss: message.has_test_set ? new Float32Array(size).fill(NaN) : null,
        filled: 0,
        divergedAt: null,
      };
      this.handlers.onStart(this.current);
    } else if (message.type === "done" && this.current && message.run === this.current.id) {
      this.current.divergedAt = message.diverged_at;
      this.handlers.onDone(this.current, message);
    } else if (message.type === "cancelled" && this.current && message.run === this.current.id) {
      this.handlers.onCancelled(this.current);
    } else if (message.type === "error") {
      this.handlers.onError(message.detail);
    }
  }
}

// --- the network lab ---------------------------------------------------------------------

export const getNets = () => json("api/nets");

function post(path, body) {
  return json(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

// About one network of a lab run (`pick`: {config, network}); the server trains the run again
// if it no longer keeps it.
// The grids and the line's points are the server's defaults (server/nets_models.py): its warm-up
// compiles for them.
export const netsField = (spec, pick) => post("api/nets/field", { spec, ...pick });
export const netsPlane = (spec, pick, kind) => post("api/nets/plane", { spec, ...pick, kind });
export const netsHessian = (spec, pick) => post("api/nets/hessian", { spec, ...pick });
export const netsRatios = (spec, pick) => post("api/nets/ratios", { spec, ...pick });
export const netsLine = (spec, pick, other) => post("api/nets/line", { spec, ...pick, other });

export const LAB_MEASURES = ["train_loss", "test_loss", "train_acc", "test_acc", "grad_norm"];

// The lab's WebSocket: JSON messages. A run's records fill `run.records[measure][c]`, one row
// [N networks] per record step (`run.steps`); null is a diverged network.
export class NetsStream {
  constructor({ onStart, onFrame, onDone, onError, onCancelled }) {
    this.handlers = { onStart, onFrame, onDone, onError, onCancelled };
    this.socket = null;
    this.pending = null;
    this.current = null;
  }

  connect() {
    const url = new URL("ws/nets", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    this.socket = new WebSocket(url);
    this.socket.onopen = () => {
      if (this.pending) this.socket.send(this.pending);
      this.pending = null;
    };
    this.socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    this.socket.onclose = () => {
      this.socket = null;
    };
  }

  train(spec) {
    const message = JSON.stringify({ type: "train", ...spec });
    if (!this.socket) this.connect();
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
    else this.pending = message;
  }

  cancel() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "cancel" }));
  }

  receive(message) {
    const run = this.current;
    if (message.type === "start") {
      if (message.run <= (this.cancelledId || 0)) return; // a run the person already stopped
      this.current = {
        id: message.run,
        configs: message.configs,
        networks: message.networks,
        totalSteps: message.steps,
        params: message.params,
        batchSize: message.batch_size,
        task: message.task,
        steps: [],
        records: Object.fromEntries(LAB_MEASURES.map((m) => [m, Array.from({ length: message.configs }, () => [])])),
        done: 0,
        divergedAt: null,
        finished: false,
      };
      this.handlers.onStart(this.current);
    } else if (message.type === "frame" && run && message.run === run.id) {
      run.steps.push(...message.steps);
      for (const m of LAB_MEASURES) message[m].forEach((rows, c) => run.records[m][c].push(...rows));
      run.done = message.done;
      run.divergedAt = message.diverged_at;
      this.handlers.onFrame(run);
    } else if (message.type === "done" && run && message.run === run.id) {
      run.finished = true;
      this.handlers.onDone(run, message);
    } else if (message.type === "cancelled") {
      // The newest run is the one stopped, even if its start has not come yet.
      this.cancelledId = message.run;
      if (run) this.handlers.onCancelled(run);
    } else if (message.type === "error") {
      this.handlers.onError(message.detail);
    }
  }
}
