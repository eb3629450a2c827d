// The network lab: this view owns #nets-lab — its controls (task, network, the lab's own
// optimizer panel, the run's sizes), the training stream with progress and Stop, the task
// picture, the loss plane, the curves, and the picked network's Hessian.  The lab's state is
// `holder.state` (labstate.js); every change retrains at once, superseding the run in flight.
import { LAB_MEASURES, NetsStream, netsField, netsHessian, netsLine, netsPlane, netsRatios } from "./api.js";
import { chartLayout, lrChart, scaled } from "./charts.js";
import {
  finalMedians,
  labAccTraces,
  labGradTraces,
  labLossTraces,
  lineTraces,
  planeTraces,
  ratioTraces,
  sharpnessTraces,
  spectrumTraces,
  taskTraces,
} from "./labcharts.js";
import { labBatch, labRequest, otherNetwork, parseHidden, pickNetwork, switchTask } from "./labstate.js";
import { configLabel } from "./labels.js";
import { createOptimizerView } from "./optimizerview.js";
import { select, slider } from "./widgets.js";

export { LAB_MEASURES };

function fmt(v, digits = 3) {
  return v === null || v === undefined || !Number.isFinite(v) ? "—" : Number(v).toPrecision(digits);
}

// `holder`: {state, catalog} — the lab's state and the surfaces' catalogue (presets, fields,
// limits), as the optimizer panel reads them; `nets()`: GET /api/nets; `writeHash()` puts the
// whole page state in the URL; `fontScale()`: 1.5 in presentation mode.
export function createLabView({ holder, nets, t, language, plotConfig, writeHash, fontScale }) {
  const $ = (id) => document.getElementById(id);
  const lab = {
    run: null,
    field: null,
    line: null,
    plane: null,
    hessian: null,
    token: 0, // answers about an older run or pick are dropped
    pending: null,
    startedAt: 0,
    shown: false,
    timing: { changedAt: 0, firstCurveAt: 0, doneAt: 0, planeAt: 0, spectrumAt: 0 }, // performance.now() stamps for bench/browser.py
  };
  const labels = () => holder.state.configs.map((c, i) => {
    const b = labBatch(holder.state, i);
    const size = b > 0 && b < holder.state.task.n_train ? t("batch_of", { b }) : t("full_batch");
    return `${configLabel(c, i, holder.catalog, t)} · ${size}`;
  });
  const names = () => ({
    test: t("lab_test"),
    train: t("lab_train_points"),
    picked: t("lab_picked_short"),
    start: t("lab_start"),
    fit: t("lab_fit"),
    colorbar: t("lab_log_loss"),
    eigenvalues: t("eigenvalues"),
    edge: t("lab_edge"),
    full: t("lab_ratio_full"),
    perLayer: t("lab_ratio_layer"),
    ends: t("lab_line_ends"),
    earlyStop: t("lab_early_stop"),
  });

  const optimizerView = createOptimizerView({
    app: holder,
    t,
    prefix: "lab-",
    surface: () => ({ n_examples: holder.state.task.n_train }),
    changed: () => changed(),
    writeHash: () => writeHash(),
  });

  const stream = new NetsStream({
    onStart(run) {
      lab.run = run;
      lab.field = null;
      lab.plane = null;
      lab.planeError = null;
      lab.hessian = null;
      lab.ratios = null;
      $("lab-stop").disabled = false;
      $("lab-progress").value = 0;
      $("lab-params").textContent = t("lab_params", { p: run.params });
      drawTask();
      drawCharts();
    },
    onFrame(run) {
      $("lab-progress").value = run.totalSteps ? run.done / run.totalSteps : 0;
      const elapsed = (performance.now() - lab.startedAt) / 1000;
      const left = run.done > 0 ? Math.max(0, Math.round((elapsed * (run.totalSteps - run.done)) / run.done)) : "?";
      status(t("progress", { t: run.done, n: run.totalSteps, left }));
      scheduleCharts();
      if (run.steps.length > 1 && lab.timing.firstCurveAt < lab.timing.changedAt) requestAnimationFrame(() => (lab.timing.firstCurveAt = performance.now()));
    },
    onCancelled(run) {
      $("lab-stop").disabled = true;
      status(t("stopped", { t: run.done, n: run.totalSteps }));
    },
    onDone(run, message) {
      lab.timing.doneAt = performance.now();
      $("lab-stop").disabled = true;
      $("lab-progress").value = 1;
      status(`${t("done")} · ${run.configs} × ${run.networks} ${t("lab_networks_short")} × ${run.totalSteps} · ${message.diverged} ${t("diverged")} · ${message.compute_ms.toFixed(0)} ms`);
      drawCharts();
      renderSummary();
      lookAtPicked();
    },
    onError(detail) {
      $("lab-stop").disabled = true;
      status(`${t("error")}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    },
  });

  function status(text) {
    $("lab-status").textContent = text;
  }

  // --- controls -------------------------------------------------------------------------------

  function renderControls() {
    const s = holder.state;
    const N = nets();
    const sel = $("lab-task");
    sel.replaceChildren(
      ...N.tasks.map((task) => {
        const o = document.createElement("option");
        o.value = task.name;
        o.textContent = t(`task_${task.name}`);
        // A task whose data this server lacks (digits without scikit-learn) is named, not offered.
        o.disabled = !task.available;
        if (!task.available) o.title = t("lab_task_missing");
        return o;
      }),
    );
    sel.value = s.task.name;
    const task = N.tasks.find((x) => x.name === s.task.name);
    $("lab-task-description").textContent = t(`task_${task.name}_about`);
    const cap = task.size ? Math.floor(task.size / 2) : N.limits.max_points;
    for (const [id, key] of [["lab-n-train", "n_train"], ["lab-n-test", "n_test"]]) {
      $(id).max = String(cap);
      $(id).value = String(s.task[key]);
    }
    const taskSlider = (f, value, onInput) =>
      slider({ id: `lab-${f.name}`, label: t(`lab_${f.name}`), min: f.control_min, max: f.control_max, step: (f.control_max - f.control_min) / 200, value, onInput });
    $("lab-task-params").replaceChildren(
      taskSlider(task.noise, s.task.noise ?? task.noise.default, (v) => {
        s.task.noise = v;
        changed();
      }),
      ...N.task_fields.map((f) =>
        taskSlider(f, s.task[f.name], (v) => {
          s.task[f.name] = v;
          changed();
        }),
      ),
    );
    $("lab-hidden").value = s.model.hidden.join(", ");
    $("lab-model-params").replaceChildren(
      ...N.model_fields.map((f) =>
        f.kind === "choice"
          ? select({
              id: `lab-${f.name}`,
              label: t(`lab_${f.name}`),
              options: f.choices,
              value: s.model[f.name],
              name: (c) => t(`lab_${f.name}_${c}`),
              onChange: (v) => {
                s.model[f.name] = v;
                changed();
              },
            })
          : slider({
              id: `lab-${f.name}`,
              label: t(`lab_${f.name}`),
              min: Math.log10(Math.max(f.control_min, 1e-2)),
              max: Math.log10(f.control_max),
              step: 0.01,
              value: s.model[f.name],
              log: true,
              onInput: (v) => {
                s.model[f.name] = v;
                changed();
              },
            }),
      ),
    );
    $("lab-params").textContent = lab.run ? t("lab_params", { p: lab.run.params }) : "";
    $("lab-networks").max = String(N.limits.max_networks);
    $("lab-steps").max = String(N.limits.max_steps);
    $("lab-batch").max = String(s.task.n_train);
    $("lab-networks").value = String(s.networks);
    $("lab-steps").value = String(s.steps);
    $("lab-batch").value = String(s.batch);
    $("lab-seed").value = String(s.seed);
    const kind = $("lab-plane-kind");
    const plane = N.plane_fields.find((f) => f.name === "kind");
    kind.replaceChildren(
      ...plane.choices.map((c) => {
        const o = document.createElement("option");
        o.value = c;
        o.textContent = t(`lab_plane_${c}`);
        return o;
      }),
    );
    kind.value = s.plane;
    $("lab-plane-test").checked = s.planeTest;
    optimizerView.render();
    renderPick();
    renderTabs();
  }

  function renderPick() {
    const s = holder.state;
    const sel = $("lab-pick-config");
    sel.replaceChildren(
      ...labels().map((name, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = name;
        return o;
      }),
    );
    sel.value = String(s.selected.config);
    $("lab-pick-network").max = String(s.networks - 1);
    $("lab-pick-network").value = String(s.selected.network);
    const other = otherNetwork(s);
    const far = $("lab-other-config");
    far.replaceChildren(...[...sel.options].map((o) => o.cloneNode(true)));
    far.value = String(other.config);
    $("lab-other-network").max = String(s.networks - 1);
    $("lab-other-network").value = String(other.network);
  }

  function renderTabs() {
    const tabs = $("lab-tabs");
    tabs.replaceChildren(
      ...nets().charts.map((name) => {
        const b = document.createElement("button");
        b.type = "button";
        b.setAttribute("role", "tab");
        b.id = `lab-tab-${name}`;
        b.dataset.chart = name;
        b.setAttribute("aria-selected", String(name === holder.state.chart));
        b.textContent = t(`lab_tab_${name}`);
        b.addEventListener("click", () => showChart(name));
        return b;
      }),
    );
  }

  function showChart(name) {
    holder.state.chart = name;
    renderTabs();
    drawSecond();
    writeHash();
    if (name === "ratio") fetchRatios();
  }

  // The per-configuration summary of the last record: what a lesson's claim is about.
  function renderSummary() {
    const run = lab.run;
    const box = $("lab-picked");
    // [label, text, field, wide, the numbers unrounded (for the tests), the label's meaning]
    const rows = [];
    if (run && run.steps.length) {
      const train = finalMedians(run, "train_loss");
      const test = finalMedians(run, "test_loss");
      const acc = finalMedians(run, "test_acc");
      const sharpness = lab.hessian && lab.hessian.lambda_max_by_config;
      labels().forEach((name, c) => {
        if (c >= run.configs) return;
        const parts = [`${t("lab_train_short")} ${fmt(train[c])}`, `${t("lab_test_short")} ${fmt(test[c])}`];
        if (run.task.kind === "classify") parts.push(`${t("lab_acc_short")} ${fmt(acc[c])}`);
        if (sharpness) parts.push(`λmax ${fmt(sharpness[c])}`);
        const values = { train: train[c], test: test[c], acc: acc[c], lambda: sharpness ? sharpness[c] : null };
        rows.push([name, parts.join(" · "), `summary-${c}`, true, values, t("lab_summary_meaning")]);
      });
    }
    const h = lab.hessian;
    if (h) {
      rows.push([t("lab_ratio_short"), fmt(h.minimum_ratio), "minimum-ratio", false, null, t("minimum_ratio")]);
      rows.push([t("lab_flat_short"), fmt(h.flat_share), "flat-share", false, null, t("lab_flat_share")]);
      rows.push(["λ > 0", fmt(h.positive_share), "positive-share", false, null, t("lab_positive_share")]);
      rows.push([t("lab_layer_short"), fmt(h.per_layer_ratio), "per-layer-ratio", false, null, t("lab_ratio_layer")]);
      rows.push(["λmax", fmt(h.lambda_max), "lambda-max", false, null, "λmax"]);
    }
    box.replaceChildren(
      ...rows.flatMap(([k, v, field, wide, values, meaning]) => {
        const dt = document.createElement("dt");
        dt.textContent = k;
        if (meaning) dt.title = meaning;
        const dd = document.createElement("dd");
        dd.textContent = v;
        dd.dataset.field = field;
        if (wide) dt.className = dd.className = "wide";
        if (values) dd.dataset.values = JSON.stringify(values); // the numbers shown, unrounded (for the tests)
        return [dt, dd];
      }),
    );
  }

  // --- training -------------------------------------------------------------------------------

  function changed() {
    lab.timing.changedAt = performance.now();
    lab.token += 1;
    writeHash();
    if (lab.pending) cancelAnimationFrame(lab.pending);
    lab.pending = requestAnimationFrame(() => {
      lab.pending = null;
      train();
    });
  }

  function train() {
    lab.startedAt = performance.now();
    status(t("running"));
    stream.train(labRequest(holder.state));
  }

  // What the server says about the picked network: its picture first (quick), then the plane
  // and the Hessian.
  async function lookAtPicked() {
    const token = ++lab.token;
    const spec = labRequest(holder.state);
    const pick = { ...holder.state.selected };
    const run = lab.run;
    if (!run || !run.finished) return;
    const fail = (err) => {
      if (token === lab.token) status(`${t("error")}: ${err.message}`);
    };
    if (run.task.input_dim <= 2) {
      try {
        const field = await netsField(spec, pick);
        if (token !== lab.token) return;
        lab.field = field;
        drawTask();
      } catch (err) {
        lab.field = null;
        drawTask();
        fail(err);
      }
    }
    const plane = netsPlane(spec, pick, holder.state.plane)
      .then((answer) => {
        if (token !== lab.token) return;
        lab.plane = answer;
        drawPlane();
        lab.timing.planeAt = performance.now();
      })
      .catch((err) => {
        lab.plane = null;
        lab.planeError = err.message;
        drawPlane(err.message);
      });
    const line = fetchLine(token);
    const ratios = holder.state.chart === "ratio" ? fetchRatios(token) : Promise.resolve();
    const hessian = netsHessian(spec, pick)
      .then((answer) => {
        if (token !== lab.token) return;
        lab.hessian = answer;
        renderSummary();
        drawSecond();
        lab.timing.spectrumAt = performance.now();
      })
      .catch(fail);
    await Promise.all([plane, hessian, line, ratios]);
  }

  // The homework's figure (a full Hessian per network: a second or so) only while its chart is
  // shown, so that it never holds up the next run.
  function fetchRatios(token = lab.token) {
    if (lab.ratios || !lab.run || !lab.run.finished) return Promise.resolve();
    return netsRatios(labRequest(holder.state), { ...holder.state.selected })
      .then((answer) => {
        if (token !== lab.token) return;
        lab.ratios = answer;
        drawSecond();
      })
      .catch((err) => {
        if (token !== lab.token) return;
        lab.ratios = { networks: null, error: err.message };
        drawSecond();
      });
  }

  // The loss along the line from the picked network to the other one.
  function fetchLine(token = lab.token) {
    lab.line = null;
    if (!lab.run || !lab.run.finished) return Promise.resolve();
    return netsLine(labRequest(holder.state), { ...holder.state.selected }, otherNetwork(holder.state))
      .then((answer) => {
        if (token !== lab.token) return;
        lab.line = answer;
        lab.lineError = null;
        drawSecond();
      })
      .catch((err) => {
        lab.lineError = err.message;
        drawSecond();
      });
  }

  function pick(config, network) {
    holder.state = pickNetwork(holder.state, config, network);
    renderPick();
    writeHash();
    drawCharts();
    lab.field = null;
    lab.plane = null;
    lab.planeError = null;
    lab.hessian = null;
    lab.ratios = null;
    renderSummary();
    lookAtPicked();
  }

  // --- drawing --------------------------------------------------------------------------------

  const react = (id, data, layout) => {
    if (!window.Plotly || !lab.shown) return null;
    return window.Plotly.react(id, data, scaled(layout, fontScale()), plotConfig);
  };

  let chartsScheduled = false;
  function scheduleCharts() {
    if (chartsScheduled) return;
    chartsScheduled = true;
    requestAnimationFrame(() => {
      chartsScheduled = false;
      drawCharts();
    });
  }

  function drawTask() {
    const run = lab.run;
    if (!run) return;
    const task = run.task;
    const layout = chartLayout(t(`task_${holder.state.task.name}`), { xTitle: "x₁" });
    layout.yaxis = { ...layout.yaxis, title: { text: task.input_dim === 1 ? "y" : "x₂" } };
    layout.margin = { ...layout.margin, b: 42 };
    layout.showlegend = task.input_dim === 1; // a curve's legend, in the corner the sine leaves empty
    if (task.input_dim > 2) layout.annotations = [{ text: t("lab_no_picture", { d: task.input_dim }), showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { color: "#e5e7eb" } }];
    react("lab-task-plot", taskTraces(task, lab.field, names()), layout);
  }

  function drawPlane(error = null) {
    // The paths' colours are the configurations' (the picked-network list names them).
    const layout = chartLayout(t(holder.state.planeTest ? "lab_plane_test_title" : "lab_plane_title"), { xTitle: "α", legend: false });
    layout.margin = { ...layout.margin, b: 42 };
    layout.yaxis = { ...layout.yaxis, title: { text: "β" } };
    if (error) layout.annotations = [{ text: error, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { color: "#e5e7eb" } }];
    react("lab-plane-plot", lab.plane ? planeTraces(lab.plane, labels(), { test: holder.state.planeTest, names: names() }) : [], layout);
  }

  function drawCharts() {
    const run = lab.run;
    const layout = chartLayout(t("lab_loss_title"), { log: true, legend: false });
    react("lab-loss-chart", labLossTraces(run, labels(), holder.state.selected, names()), layout);
    drawSecond();
  }

  function drawSecond() {
    const run = lab.run;
    const s = holder.state;
    const h = lab.hessian;
    const which = s.chart;
    let data = [];
    let layout;
    if (which === "acc") {
      data = labAccTraces(run, labels(), s.selected, names());
      layout = chartLayout(run && run.task.kind !== "classify" ? t("lab_no_accuracy") : t("lab_acc_title"), { legend: false });
    } else if (which === "grad") {
      data = labGradTraces(run, labels(), s.selected, names());
      layout = chartLayout(t("lab_grad_title"), { log: true, legend: false });
    } else if (which === "lr") {
      data = lrChart(s.configs, s.steps, labels());
      layout = chartLayout(t("lab_lr_title"), { legend: false });
    } else if (which === "spectrum") {
      data = h && h.eigenvalues ? spectrumTraces(h, names()) : [];
      const title = !h ? t("lab_waiting") : h.eigenvalues ? t("lab_spectrum_title", { p: h.params }) : t("lab_spectrum_too_big", { p: h.params, max: nets().limits.spectrum_max_params });
      layout = chartLayout(title, { xTitle: "λ", legend: false });
      layout.yaxis = { ...layout.yaxis, type: "log", title: { text: t("lab_count") } };
    } else if (which === "sharpness") {
      const config = s.configs[s.selected.config];
      data = sharpnessTraces(h, config && !config.optax ? config.lr : null, names());
      layout = chartLayout(h ? t("lab_sharpness_title") : t("lab_waiting"), { log: false });
    } else if (which === "line") {
      const other = otherNetwork(s);
      data = lineTraces(lab.line, { ...names(), train: t("lab_train_loss"), test: t("lab_test_loss") });
      const title = lab.lineError || (lab.line ? t("lab_line_title", { a: s.selected.network, b: other.network, c: other.config + 1, d: fmt(lab.line.distance) }) : t("lab_waiting"));
      layout = chartLayout(title, { xTitle: "α", log: true, legend: false });
    } else {
      const r = lab.ratios;
      data = ratioTraces(r, s.selected, names());
      const title = r && r.error ? r.error : r && !r.networks ? t("lab_ratio_too_big", { max: nets().limits.hw_max_params }) : r ? t("lab_ratio_title") : t("lab_waiting");
      layout = chartLayout(title, { xTitle: t("lab_train_loss") });
      layout.xaxis = { ...layout.xaxis, type: "log", exponentformat: "power" };
      layout.yaxis = { ...layout.yaxis, title: { text: t("lab_ratio_short") } };
    }
    react("lab-second-chart", data, layout);
  }

  function redrawAll() {
    drawTask();
    drawPlane();
    drawCharts();
  }

  // --- wiring -------------------------------------------------------------------------------

  function numberField(id, key, low, limit, after = () => {}) {
    $(id).addEventListener("change", () => {
      const v = Math.max(low, Math.min(limit(), Math.round(Number($(id).value) || 0)));
      $(id).value = String(v);
      after(v, key);
      changed();
    });
  }

  // A plot's box changes without the window changing: the status line wraps when a run ends,
  // a scene's text moves in, a tab bar wraps. Plotly measures its box only when drawn or on a
  // window resize, so a plot drawn before would overflow its box (its axis titles cut off).
  function followBoxes() {
    const plots = ["lab-task-plot", "lab-plane-plot", "lab-loss-chart", "lab-second-chart"].map($);
    const pending = new Set();
    const observer = new ResizeObserver((entries) => {
      if (!pending.size) {
        requestAnimationFrame(() => {
          for (const el of pending) if (lab.shown && el.layout && el.offsetParent && window.Plotly) window.Plotly.Plots.resize(el);
          pending.clear();
        });
      }
      for (const entry of entries) pending.add(entry.target);
    });
    for (const el of plots) observer.observe(el);
  }

  function bind() {
    followBoxes();
    const s = () => holder.state;
    $("lab-task").addEventListener("change", () => {
      holder.state = switchTask(holder.state, $("lab-task").value, nets());
      renderControls();
      changed();
    });
    const cap = () => {
      const task = nets().tasks.find((x) => x.name === s().task.name);
      return task.size ? Math.floor(task.size / 2) : nets().limits.max_points;
    };
    numberField("lab-n-train", "n_train", 1, cap, (v) => {
      s().task.n_train = v;
      s().batch = Math.min(s().batch, v);
      $("lab-batch").max = String(v);
      $("lab-batch").value = String(s().batch);
    });
    numberField("lab-n-test", "n_test", 1, cap, (v) => (s().task.n_test = v));
    numberField("lab-networks", "networks", 1, () => nets().limits.max_networks, (v) => {
      s().networks = v;
      holder.state = pickNetwork(holder.state, s().selected.config, s().selected.network);
      renderPick();
    });
    numberField("lab-steps", "steps", 1, () => nets().limits.max_steps, (v) => (s().steps = v));
    numberField("lab-batch", "batch", 0, () => s().task.n_train, (v) => (s().batch = v));
    numberField("lab-seed", "seed", 0, () => holder.catalog.limits.max_seed, (v) => (s().seed = v));
    $("lab-hidden").addEventListener("change", () => {
      s().model.hidden = parseHidden($("lab-hidden").value, nets().limits);
      renderControls();
      changed();
    });
    $("lab-train").addEventListener("click", () => changed());
    $("lab-stop").addEventListener("click", () => {
      // A run about to start (a field's change fires as focus leaves it for this button) is
      // stopped too: Stop means no training until the next change.
      if (lab.pending) cancelAnimationFrame(lab.pending);
      lab.pending = null;
      stream.cancel();
    });
    $("lab-plane-kind").addEventListener("change", () => {
      s().plane = $("lab-plane-kind").value;
      writeHash();
      lab.plane = null;
      const token = lab.token;
      netsPlane(labRequest(s()), s().selected, s().plane)
        .then((answer) => {
          if (token !== lab.token) return;
          lab.plane = answer;
          drawPlane();
        })
        .catch((err) => drawPlane(err.message));
    });
    $("lab-plane-test").addEventListener("change", () => {
      s().planeTest = $("lab-plane-test").checked;
      writeHash();
      drawPlane();
    });
    $("lab-pick-config").addEventListener("change", () => pick(Number($("lab-pick-config").value), s().selected.network));
    $("lab-pick-network").addEventListener("change", () => pick(s().selected.config, Math.round(Number($("lab-pick-network").value) || 0)));
    const chooseOther = () => {
      const config = Number($("lab-other-config").value) || 0;
      const network = Math.max(0, Math.min(s().networks - 1, Math.round(Number($("lab-other-network").value) || 0)));
      holder.state = { ...s(), other: { config, network } };
      renderPick();
      writeHash();
      fetchLine();
    };
    $("lab-other-config").addEventListener("change", chooseOther);
    $("lab-other-network").addEventListener("change", chooseOther);
    // A dot of the minimum-ratio chart picks its network.
    const second = $("lab-second-chart");
    const attach = () => {
      if (!second.on) return false;
      second.on("plotly_click", (event) => {
        const p = event.points && event.points[0];
        if (p && p.customdata !== undefined) pick(s().selected.config, Number(p.customdata));
      });
      return true;
    };
    lab.attach = attach;
  }

  // The lab shown (mode switch, or a lesson scene about networks): Plotly measures its boxes
  // now that they have a size, and a first run starts if none has.
  function show() {
    lab.shown = true;
    renderControls();
    requestAnimationFrame(() => {
      redrawAll();
      if (lab.attach && lab.attach()) lab.attach = null;
      if (!lab.run) changed();
    });
  }

  function hide() {
    lab.shown = false;
    stream.cancel();
  }

  window.errorscape.labRun = lab; // the run and the answers about it, for its tests and benchmark
  return {
    render: renderControls,
    bind,
    show,
    hide,
    changed,
    redrawAll,
    summary: renderSummary,
    setPresenting: () => redrawAll(),
  };
}
