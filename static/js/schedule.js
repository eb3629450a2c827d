// η_t as the engine computes it (surfaces/schedule.py), for the small schedule plot:
// η_t = η · warm-up(t) · decay(t − W), t the 0-based update count. A test compares the two.
export function learningRate(config, t, decaySteps) {
  // optax's optimizers run with a constant learning_rate here (their own scaling is inside the rule).
  if (config.optax) return config.hyper.learning_rate;
  const w = config.warmup_steps;
  const warm = w > 0 ? Math.min(1, (t + 1) / Math.max(w, 1)) : 1;
  const s = Math.max(t - w, 0);
  let decay = 1;
  switch (config.schedule) {
    case "inv_sqrt":
      decay = 1 / Math.sqrt(s + 1);
      break;
    case "exponential":
      decay = config.decay_rate ** s;
      break;
    case "cosine":
      decay = 0.5 * (1 + Math.cos((Math.PI * Math.min(s, decaySteps)) / decaySteps));
      break;
    default:
      decay = 1;
  }
  return config.lr * warm * decay;
}

// η_t for t = 0 … steps − 1 (the run's requests use decay_steps = steps).
export function learningRates(config, steps) {
  const out = new Float64Array(steps);
  for (let t = 0; t < steps; t++) out[t] = learningRate(config, t, Math.max(1, steps));
  return out;
}
