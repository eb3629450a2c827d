// The optimizer panel: one tab per configuration (add, remove), the presets, the rule (the
// lecture's or optax's), the rule's controls built from its declared fields, and the
// configuration's own batch size.  This view owns the "Optimizer" fieldset; state changes are
// state.js's pure functions, and `changed()` is the controller's (rerun, rewrite the URL).
import { COLORS } from "./palette.js";
import { addConfig, configFromPreset, fieldShown, isOptax, maxConfigs, optaxConfig, removeConfig, setConfigBatch } from "./state.js";
import { select, slider } from "./widgets.js";

// `prefix` goes before every element id this view reads or makes: the network lab has its own
// panel ("lab-"), built by a second view over the lab's state.
export function createOptimizerView({ app, t, surface, changed, writeHash, prefix = "" }) {
  const $ = (id) => document.getElementById(prefix + id);
  const idOf = (id) => prefix + id;

  function buildConfigTabs() {
    const tabs = $("config-tabs");
    const buttons = app.state.configs.map((c, i) => {
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "tab");
      b.setAttribute("aria-selected", String(i === app.state.active));
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = COLORS[i];
      b.append(swatch, `${t("config")} ${i + 1}`);
      b.addEventListener("click", () => {
        app.state.active = i;
        buildOptimizer();
        writeHash();
      });
      return b;
    });
    const add = document.createElement("button");
    add.type = "button";
    add.id = idOf("add-config");
    add.textContent = t("add_config");
    add.disabled = app.state.configs.length >= maxConfigs(app.catalog);
    add.addEventListener("click", () => {
      app.state = addConfig(app.state, app.catalog);
      buildOptimizer();
      changed();
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.id = idOf("remove-config");
    remove.textContent = t("remove_config");
    remove.disabled = app.state.configs.length <= 1;
    remove.addEventListener("click", () => {
      app.state = removeConfig(app.state);
      buildOptimizer();
      changed();
    });
    tabs.replaceChildren(...buttons, add, remove);
  }

  // The rule picker: the lecture's rule or one of optax's optimizers, for the active configuration.
  function rulePicker(config) {
    const wrap = document.createElement("label");
    const text = document.createElement("span");
    text.textContent = t("rule");
    const sel = document.createElement("select");
    sel.id = idOf("rule");
    sel.setAttribute("aria-label", t("rule"));
    const lecture = document.createElement("option");
    lecture.value = "lecture";
    lecture.textContent = t("lecture_rule");
    sel.append(lecture);
    for (const entry of app.catalog.optax) {
      const o = document.createElement("option");
      o.value = entry.name;
      o.textContent = `optax.${entry.name}`;
      o.title = entry.description;
      sel.append(o);
    }
    sel.value = isOptax(config) ? config.optax : "lecture";
    sel.addEventListener("change", () => {
      const entry = app.catalog.optax.find((o) => o.name === sel.value);
      app.state.configs[app.state.active] = entry ? optaxConfig(entry) : configFromPreset(Object.keys(app.catalog.presets)[0], app.catalog);
      buildOptimizer();
      changed();
    });
    wrap.append(text, " ", sel);
    return wrap;
  }

  // Controls of an optax optimizer: a slider per (traced) hyperparameter, a list per static value.
  function optaxControls(config) {
    const entry = app.catalog.optax.find((o) => o.name === config.optax);
    const note = document.createElement("p");
    note.className = "description";
    note.textContent = `${entry.description}. ${t("optax_note")}`;
    const controls = [note];
    for (const h of entry.hyper) {
      const onInput = (v) => {
        config.hyper[h.name] = v;
        buildConfigTabs();
        changed();
      };
      if (h.log) {
        const lo = Math.floor(Math.log10(Math.min(h.default, 1e-5)));
        const hi = Math.log10(h.max);
        controls.push(slider({ id: idOf(`hyper-${h.name}`), label: h.name, min: lo, max: hi, step: 0.01, value: Math.max(config.hyper[h.name], 10 ** lo), log: true, onInput }));
      } else {
        controls.push(slider({ id: idOf(`hyper-${h.name}`), label: h.name, min: h.min, max: h.max, step: (h.max - h.min) / 1000, value: config.hyper[h.name], onInput }));
      }
    }
    for (const st of entry.static) {
      const wrap = document.createElement("label");
      const text = document.createElement("span");
      text.textContent = `${st.name} (${t("static_note")})`;
      wrap.title = st.note;
      const sel = document.createElement("select");
      sel.id = idOf(`static-${st.name}`);
      sel.setAttribute("aria-label", st.name);
      st.choices.forEach((choice, k) => {
        const o = document.createElement("option");
        o.value = String(k);
        o.textContent = String(choice);
        sel.append(o);
      });
      sel.value = String(st.choices.indexOf(config.hyper[st.name]));
      sel.addEventListener("change", () => {
        config.hyper[st.name] = st.choices[Number(sel.value)];
        changed();
      });
      wrap.append(text, " ", sel);
      controls.push(wrap);
    }
    return controls;
  }

  // A slider for a declared number: its control range, log scale and integer steps as declared.
  function fieldSlider(field, value, onInput) {
    if (field.log) {
      const lo = Math.log10(field.control_min);
      return slider({ id: idOf(field.name), label: t(field.name), min: lo, max: Math.log10(field.control_max), step: 0.01, value: Math.max(value, 10 ** lo), log: true, onInput });
    }
    const step = field.integer ? 1 : (field.control_max - field.control_min) / 1000;
    const format = field.integer ? (v) => String(v) : undefined;
    return slider({ id: idOf(field.name), label: t(field.name), min: field.control_min, max: field.control_max, step, value, format, onInput });
  }

  function buildOptimizer() {
    buildConfigTabs();
    const config = app.state.configs[app.state.active];
    const presets = $("presets");
    presets.replaceChildren(
      ...Object.keys(app.catalog.presets).map((name) => {
        const b = document.createElement("button");
        b.type = "button";
        b.id = idOf(`preset-${name}`);
        b.textContent = name;
        b.addEventListener("click", () => {
          app.state.configs[app.state.active] = configFromPreset(name, app.catalog);
          buildOptimizer();
          changed();
        });
        return b;
      }),
    );
    if (isOptax(config)) {
      $("optimizer-controls").replaceChildren(rulePicker(config), configBatchInput(), ...optaxControls(config));
      return;
    }
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
    // The lecture rule's controls, built from its declared fields (GET /api/optimizers): a list
    // per choice, a slider per number that matters under the current choices.
    const controls = [rulePicker(config), configBatchInput()];
    for (const field of app.catalog.fields) {
      if (field.kind === "choice") {
        controls.push(select({ id: idOf(field.name), label: t(field.name), options: field.choices, value: config[field.name], onChange: rebuild(field.name), name: t }));
      } else if (field.control && fieldShown(field, config)) {
        controls.push(fieldSlider(field, config[field.name], set(field.name)));
      }
    }
    $("optimizer-controls").replaceChildren(...controls);
  }

  // This configuration's own batch size (empty: the run's, in Training), so compare mode can
  // race batch sizes side by side.
  function configBatchInput() {
    const i = app.state.active;
    const wrap = document.createElement("label");
    const text = document.createElement("span");
    text.textContent = t("config_batch");
    const input = document.createElement("input");
    input.type = "number";
    input.id = idOf("config-batch");
    input.min = "0";
    input.max = String(surface().n_examples);
    input.placeholder = t("config_batch_same");
    const own = (app.state.batches || [])[i];
    input.value = own === null || own === undefined ? "" : String(own);
    input.addEventListener("change", () => {
      const raw = input.value.trim();
      const v = raw === "" ? null : Math.max(0, Math.min(surface().n_examples, Math.round(Number(raw) || 0)));
      input.value = v === null ? "" : String(v);
      app.state = setConfigBatch(app.state, i, v);
      buildConfigTabs();
      changed();
    });
    wrap.append(text, " ", input);
    return wrap;
  }

  return { render: buildOptimizer, renderTabs: buildConfigTabs };
}
