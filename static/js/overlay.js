// The moving part of the contour view (trails, a dot per start, diverged crosses, the
// selected start's ring) drawn on a 2-D canvas laid over Plotly's plot area. Plotly redraws a
// whole figure for any change (the contour is recomputed, WebGL buffers re-uploaded: 130 ms
// and more per frame at 1,000 starts), so animating through it cannot reach a steady frame
// rate; this layer is repainted alone, and Plotly only when the still part changes.
// No DOM here beyond the 2-D context it is handed.
import { COLORS, TRAILS, offset, toEdge } from "./traces.js";

// A software rasteriser (a browser without a GPU: many laptops and projectors) strokes a line
// of at most one device pixel by a fast path, about ten times faster than a wider line with
// anti-aliased joins: 120 trails of 2,560 noisy steps take 70 ms a paint instead of 680 ms,
// and a run is painted at every frame while it streams in and while it plays.  So the trails
// of a run longer than LONG_TRAILS segments in all are drawn one device pixel wide; shorter
// runs keep the wider line, which is easier to see and cheap at their length.  Chosen per
// run, so a line never changes width while its run streams or plays.
export const LONG_TRAILS = 50000;

// What is drawn at step t, in data coordinates: per configuration its trails (the first TRAILS
// starts up to t, NaN where a start has diverged) and its dots (every start, NaN once
// diverged); the crosses of the starts diverged by t (moved to where the line from their start
// leaves `domain`); the selected start's position. `hidden`: {configs[c], diverged} for what
// was switched off by a click on its legend entry.
export function movingScene(run, t, selected, domain, hidden = { configs: [], diverged: false }) {
  const scene = { configs: [], crosses: { x: [], y: [] }, ring: null, thin: false };
  if (!run || run.filled === 0) return scene;
  const S = run.starts;
  const upto = Math.max(0, Math.min(t, run.filled - 1));
  const trails = Math.min(S, TRAILS);
  scene.thin = run.configs * trails * run.steps > LONG_TRAILS;
  for (let c = 0; c < run.configs; c++) {
    const dots = { x: new Float32Array(S), y: new Float32Array(S) };
    const base = offset(run, upto, c);
    for (let s = 0; s < S; s++) {
      dots.x[s] = run.positions[2 * (base + s)];
      dots.y[s] = run.positions[2 * (base + s) + 1];
    }
    const off = Boolean(hidden.configs[c]);
    scene.configs.push({ color: COLORS[c % COLORS.length], hidden: off, trails, upto, dots });
    if (!run.divergedAt || off || hidden.diverged) continue;
    const row = run.divergedAt[c];
    for (let s = 0; s < S; s++) {
      const d = row[s];
      if (d < 0 || d > t) continue;
      const i = offset(run, Math.max(0, d - 1), c) + s;
      const j = offset(run, 0, c) + s;
      const [x, y] = toEdge(run.positions[2 * i], run.positions[2 * i + 1], run.positions[2 * j], run.positions[2 * j + 1], domain);
      scene.crosses.x.push(x);
      scene.crosses.y.push(y);
    }
  }
  if (selected && selected.config < run.configs && selected.start < S && !hidden.configs[selected.config]) {
    const i = offset(run, upto, selected.config) + selected.start;
    scene.ring = [run.positions[2 * i], run.positions[2 * i + 1]];
  }
  return scene;
}

// `view`: {px(x), py(y)} data → canvas pixels, and the plot area {left, top, width, height}
// the drawing is clipped to.
export function paintScene(ctx, run, scene, view) {
  ctx.save();
  ctx.beginPath();
  ctx.rect(view.left, view.top, view.width, view.height);
  ctx.clip();
  const { px, py } = view;
  scene.configs.forEach((cfg, c) => {
    if (cfg.hidden) return;
    // Trails: each its own path (one long self-crossing path costs the rasteriser seconds),
    // broken where a start has left the finite numbers. A step that moves less than a pixel
    // from the last point drawn is skipped: a crawl along a valley floor costs nothing, a
    // zigzag across it is drawn whole.
    ctx.globalAlpha = scene.thin ? 0.85 : 0.7;
    ctx.strokeStyle = cfg.color;
    ctx.lineWidth = scene.thin ? 1 / Math.max(1, ctx.getTransform().a) : 1.5;
    ctx.lineJoin = "bevel";
    for (let s = 0; s < cfg.trails; s++) {
      ctx.beginPath();
      let pen = false;
      let u0 = 0;
      let v0 = 0;
      for (let k = 0; k <= cfg.upto; k++) {
        const i = offset(run, k, c) + s;
        const x = run.positions[2 * i];
        const y = run.positions[2 * i + 1];
        if (!Number.isFinite(x) || !Number.isFinite(y)) {
          pen = false;
          continue;
        }
        const u = px(x);
        const v = py(y);
        if (!pen) ctx.moveTo(u, v);
        else if (k === cfg.upto || Math.abs(u - u0) + Math.abs(v - v0) >= 1) ctx.lineTo(u, v);
        else continue;
        u0 = u;
        v0 = v;
        pen = true;
      }
      ctx.stroke();
    }
    // Dots: one path, one fill and one outline for all starts of the configuration.
    ctx.globalAlpha = 1;
    ctx.fillStyle = cfg.color;
    ctx.beginPath();
    const { x: dx, y: dy } = cfg.dots;
    // Above a few thousand dots their shape is lost in the cloud anyway; 5-px squares fill
    // about twice as fast as circles (10,000 dots: 60 instead of 34 frames/s in software).
    const squares = dx.length > 2048;
    for (let s = 0; s < dx.length; s++) {
      if (!Number.isFinite(dx[s]) || !Number.isFinite(dy[s])) continue;
      const u = px(dx[s]);
      const v = py(dy[s]);
      if (squares) {
        ctx.rect(u - 2.5, v - 2.5, 5, 5);
        continue;
      }
      ctx.moveTo(u + 3, v);
      ctx.arc(u, v, 3, 0, 2 * Math.PI);
    }
    ctx.fill();
    if (!squares) {
      // An outline tells overlapping dots apart; above a few thousand it only darkens the cloud.
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 0.5;
      ctx.stroke();
    }
  });
  // Diverged starts: a red cross each.
  const { x: cx, y: cy } = scene.crosses;
  if (cx.length) {
    ctx.beginPath();
    for (let i = 0; i < cx.length; i++) {
      if (!Number.isFinite(cx[i]) || !Number.isFinite(cy[i])) continue;
      const u = px(cx[i]);
      const v = py(cy[i]);
      ctx.moveTo(u - 5, v - 5);
      ctx.lineTo(u + 5, v + 5);
      ctx.moveTo(u + 5, v - 5);
      ctx.lineTo(u - 5, v + 5);
    }
    ctx.strokeStyle = "#7f1d1d";
    ctx.lineWidth = 4;
    ctx.stroke();
    ctx.strokeStyle = "#ef4444";
    ctx.lineWidth = 2;
    ctx.stroke();
  }
  if (scene.ring && scene.ring.every(Number.isFinite)) {
    ctx.beginPath();
    ctx.arc(px(scene.ring[0]), py(scene.ring[1]), 8, 0, 2 * Math.PI);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 3;
    ctx.stroke();
  }
  ctx.restore();
}

// The start whose dot is nearest the pixel (u, v), within `radius` pixels: {config, start}, or
// null.
export function nearestDot(scene, view, u, v, radius = 8) {
  let best = null;
  let bestD = radius * radius;
  scene.configs.forEach((cfg, c) => {
    if (cfg.hidden) return;
    const { x, y } = cfg.dots;
    for (let s = 0; s < x.length; s++) {
      if (!Number.isFinite(x[s]) || !Number.isFinite(y[s])) continue;
      const du = view.px(x[s]) - u;
      const dv = view.py(y[s]) - v;
      const d = du * du + dv * dv;
      if (d <= bestD) {
        bestD = d;
        best = { config: c, start: s };
      }
    }
  });
  return best;
}
