// Per-step spread across starts (10th, 50th and 90th percentile) of the run's loss, gradient
// norm and test loss, filled in as frames arrive so the charts never re-scan the whole run.
// Pure: no DOM here.

// Above this many starts the percentiles are taken over an even stride of them: sorting
// 10,000 values for every step of every quantity would stall the page between frames.
export const SAMPLE = 2048;
const QUANTITIES = ["loss", "gradNorm", "testLoss"];

export class RunStats {
  constructor(run) {
    this.configs = run.configs;
    this.starts = run.starts;
    this.steps = run.steps;
    this.stride = Math.max(1, Math.ceil(run.starts / SAMPLE));
    this.sampled = Math.ceil(run.starts / this.stride);
    this.done = 0; // steps summarised so far
    const size = (run.steps + 1) * run.configs;
    this.q = {};
    for (const key of QUANTITIES) {
      if (!run[key]) continue;
      this.q[key] = { p10: new Float32Array(size).fill(NaN), p50: new Float32Array(size).fill(NaN), p90: new Float32Array(size).fill(NaN) };
    }
    this.scratch = new Float32Array(this.sampled);
  }

  // Summarise the steps that arrived since the last call.
  update(run) {
    for (let t = this.done; t < run.filled; t++) {
      for (let c = 0; c < this.configs; c++) {
        const base = (t * this.configs + c) * this.starts;
        for (const key of Object.keys(this.q)) {
          const values = run[key];
          let n = 0;
          for (let s = 0; s < this.starts; s += this.stride) {
            const v = values[base + s];
            if (v === v) this.scratch[n++] = v; // skips NaN (diverged)
          }
          const q = this.q[key];
          const i = t * this.configs + c;
          if (n === 0) continue;
          const sorted = this.scratch.subarray(0, n).sort();
          q.p10[i] = quantile(sorted, 0.1);
          q.p50[i] = quantile(sorted, 0.5);
          q.p90[i] = quantile(sorted, 0.9);
        }
      }
    }
    this.done = run.filled;
  }

  // One quantity's percentile series for one configuration, steps 0 … done − 1.
  series(key, which, c) {
    const q = this.q[key];
    if (!q) return null;
    const out = new Array(this.done);
    for (let t = 0; t < this.done; t++) {
      const v = q[which][t * this.configs + c];
      out[t] = Number.isNaN(v) ? null : v;
    }
    return out;
  }
}

// Linear interpolation between order statistics (NumPy's default "linear" method).
export function quantile(sorted, p) {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
