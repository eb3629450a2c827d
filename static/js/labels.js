// What a configuration is called in legends and labels: "#2 adam η=0.010", "#1 η=0.10 heavy_ball
// lam=0.5", "#1 sgd η=0.10 · batch 1".  Pure: the catalogue and the translation come in.
import { configBatch, fieldShown, isOptax } from "./state.js";

export function configLabel(config, i, catalog, t) {
  if (isOptax(config)) return `#${i + 1} ${config.optax} η=${Number(config.hyper.learning_rate).toPrecision(2)}`;
  // A preset's name where the configuration is that preset at some η and warm-up; else η, then
  // every choice that differs from the rule's default, each with those of its numbers that
  // differ from their defaults (momentum's λ); then the warm-up if any.
  const fields = catalog.fields;
  const same = (preset) => fields.every((f) => f.name === "lr" || f.name === "warmup_steps" || !f.control && f.kind !== "choice" || preset[f.name] === config[f.name]);
  const preset = Object.keys(catalog.presets).find((name) => same(catalog.presets[name]));
  if (preset) {
    const warm = config.warmup_steps > 0 ? ` ${t("warmup_steps")} ${config.warmup_steps}` : "";
    return `#${i + 1} ${preset} η=${config.lr.toPrecision(2)}${warm}`;
  }
  const parts = [`#${i + 1} η=${config.lr.toPrecision(2)}`];
  for (const choice of fields.filter((f) => f.kind === "choice" && config[f.name] !== f.default)) {
    parts.push(config[choice.name]);
    for (const f of fields) {
      if (f.shown_when && f.shown_when.field === choice.name && fieldShown(f, config) && config[f.name] !== f.default) {
        parts.push(`${f.name}=${config[f.name]}`);
      }
    }
  }
  if (config.warmup_steps > 0) parts.push(`${t("warmup_steps")} ${config.warmup_steps}`);
  return parts.join(" ");
}

// Every configuration's label; where configurations race batch sizes, each says its batch.
export function runLabels(state, catalog, t, nExamples) {
  const own = (state.batches || []).some((b) => b !== null && b !== undefined);
  return state.configs.map((c, i) => {
    if (!own) return configLabel(c, i, catalog, t);
    const b = configBatch(state, i);
    return `${configLabel(c, i, catalog, t)} · ${b > 0 && b < nExamples ? t("batch_of", { b }) : t("full_batch")}`;
  });
}

// A point as a legend names it: "(3, 2)", "(-2.81, 3.13)".
export function pointLabel(point) {
  return `(${point.map((v) => String(Number(v.toFixed(2)))).join(", ")})`;
}
