// The left column's surface and run controls: the surface picker and its description, the
// typed formula with its error box, the surface's parameter sliders, the starts buttons and
// the steps, batch and seed fields, the view radios. This view owns those elements; what a
// change means is the controller's (the callbacks of `bind`).
import { FormulaError } from "./api.js";
import { slider } from "./widgets.js";

// `surface()` is the surface record shown; `onParam(name, value)` a slider moved.
export function createControlsView({ app, t, language, surface, onParam }) {
  const $ = (id) => document.getElementById(id);

  function renderSurface() {
    const sel = $("surface");
    const own = document.createElement("option");
    own.value = "custom";
    own.textContent = t("custom");
    sel.replaceChildren(
      ...app.surfaces.map((s) => {
        const o = document.createElement("option");
        o.value = s.name;
        o.textContent = s.title[language()];
        return o;
      }),
      own,
    );
    sel.value = app.state.surface;
    const custom = app.state.surface === "custom";
    $("custom-box").hidden = !custom;
    // A refused formula stays in the box (with its error) for the person to mend, whatever the
    // surface drawn meanwhile.
    if (custom && $("formula").getAttribute("aria-invalid") !== "true") {
      $("formula").value = app.state.custom.formula;
      const [[x0, x1], [y0, y1]] = app.state.custom.domain;
      for (const [id, v] of [["domain-x0", x0], ["domain-x1", x1], ["domain-y0", y0], ["domain-y1", y1]]) $(id).value = String(v);
    }
    $("surface-description").textContent = surface().description[language()];
    $("surface-params").replaceChildren(
      ...surface().params.map((p) =>
        slider({
          id: `param-${p.name}`,
          label: (p.labels || {})[language()] || p.name,
          min: p.min,
          max: p.max,
          step: (p.max - p.min) / 200,
          value: app.state.params[p.name] ?? p.default,
          onInput: (v) => onParam(p.name, v),
        }),
      ),
    );
    // Minibatch noise does nothing at full batch: say so beside its slider.
    const noise = $("param-noise");
    if (noise) {
      const hint = document.createElement("p");
      hint.className = "description";
      hint.id = "noise-hint";
      hint.textContent = t("noise_full_batch");
      hint.hidden = app.state.batch > 0 && app.state.batch < surface().n_examples;
      noise.closest("label").after(hint);
    }
    $("batch-size").max = String(surface().n_examples);
    const test = $("show-test");
    test.disabled = !surface().has_test_set;
    test.checked = app.state.test && surface().has_test_set;
    test.parentElement.title = surface().has_test_set ? "" : t("no_test");
  }

  function sync() {
    $("steps").max = String(app.catalog.limits.max_steps);
    $("seed").max = String(app.catalog.limits.max_seed);
    $("steps").value = String(app.state.steps);
    $("batch-size").value = String(app.state.batch);
    $("seed").value = String(app.state.seed);
    $("language").value = app.state.lang;
    $("speed").value = String(app.state.speed);
    for (const radio of document.querySelectorAll("input[name=view]")) radio.checked = radio.value === app.state.view;
  }

  // A refused formula: the text, a caret under the part that is wrong, the server's message
  // and `note`; `null` clears the box. `formula`, when given, is put in the box first (a
  // refused formula from a link).
  function showFormulaError(err, note = "", formula = null) {
    if (formula !== null) $("formula").value = formula;
    const box = $("formula-error");
    if (!err) {
      box.hidden = true;
      box.replaceChildren();
      $("formula").removeAttribute("aria-invalid");
      return;
    }
    const caret = err instanceof FormulaError ? `${" ".repeat(err.column - 1)}${"^".repeat(Math.max(1, err.endColumn - err.column + 1))}` : "";
    const text = err instanceof FormulaError ? $("formula").value.slice(0, 300) : "";
    box.textContent = [text, caret, err.message, note].filter(Boolean).join("\n");
    box.hidden = false;
    $("formula").setAttribute("aria-invalid", "true");
    if (err instanceof FormulaError) $("formula").setSelectionRange(err.column - 1, err.endColumn);
  }

  // The formula and domain as typed.
  function typedFormula() {
    const domain = [
      [Number($("domain-x0").value), Number($("domain-x1").value)],
      [Number($("domain-y0").value), Number($("domain-y1").value)],
    ];
    return { formula: $("formula").value, domain };
  }

  // A field's value made whole and held to [low, limit]; the field shows what was kept.
  function clampField(id, low, limit) {
    const v = Math.max(low, Math.min(limit, Math.round(Number($(id).value) || 0)));
    $(id).value = String(v);
    return v;
  }

  // onSurface(name), onFormula({formula, domain}), onStarts(kind, count) with kind one of
  // "random", "grid", "defaults", "clear", onField(key, value) for steps, batch and seed,
  // onView(view), onTest(shown).
  function bind({ onSurface, onFormula, onStarts, onField, onView, onTest }) {
    $("surface").addEventListener("change", () => onSurface($("surface").value));
    $("formula-apply").addEventListener("click", () => onFormula(typedFormula()));
    for (const id of ["formula", "domain-x0", "domain-x1", "domain-y0", "domain-y1"]) {
      $(id).addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          onFormula(typedFormula());
        }
      });
    }
    $("add-random").addEventListener("click", () => onStarts("random", $("random-count").value));
    $("add-grid").addEventListener("click", () => onStarts("grid"));
    $("default-starts").addEventListener("click", () => onStarts("defaults"));
    $("clear-starts").addEventListener("click", () => onStarts("clear"));
    for (const [id, key] of [["steps", "steps"], ["batch-size", "batch"], ["seed", "seed"]]) {
      $(id).addEventListener("change", () => {
        const limits = app.catalog.limits;
        const limit = { steps: limits.max_steps, batch: surface().n_examples, seed: limits.max_seed }[key];
        onField(key, clampField(id, key === "steps" ? 1 : 0, limit));
      });
    }
    for (const radio of document.querySelectorAll("input[name=view]")) radio.addEventListener("change", () => onView(radio.value));
    $("show-test").addEventListener("change", () => onTest($("show-test").checked));
  }

  return { render: renderSurface, sync, showFormulaError, bind };
}
