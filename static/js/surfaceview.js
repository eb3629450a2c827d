// The surface view: the loss surface (contours or 3-D), its critical points, the basin map,
// the eigenvector arrows and the runs. Plotly draws the still part; in the contour view the
// moving part (paths, dots) is painted on a canvas layer over the plot, which is much faster
// than a Plotly redraw at every step. This view owns #surface-plot and #moving-layer.
import { scaled } from "./charts.js";
import { movingScene, nearestDot, paintScene } from "./overlay.js";
import { pointLabel } from "./labels.js";
import {
  basinLegend,
  basinTrace,
  contourTrace,
  criticalPointTrace,
  eigenTraces,
  layout3d,
  legendTraces,
  selectedTraces,
  surface3dTraces,
  surfaceLayout,
  testContourTrace,
  trajectoryTraces,
} from "./traces.js";

// `surface()` is the surface record shown, `labels()` the configurations' names; a click on a
// start's dot calls `onSelect(config, start)` and `onAnalyze(point)`, a click elsewhere
// `onAnalyze(point)` or `onAddStart(point)` (the click mode's choice).
export function createSurfaceView({ app, t, language, labels, surface, plotConfig, onSelect, onAnalyze, onAddStart }) {
  const $ = (id) => document.getElementById(id);
  const PLOT_CONFIG = plotConfig;

  function heightOf(loss) {
    return loss; // the 3-D view's height is the loss itself
  }

  // The surface view at step `time` as a Plotly figure. In 3-D it is the whole view; in the
  // contour view it is the still part (the runs are on the canvas layer, paintLayer) and only
  // the legend names the configurations.
  function surfaceFigure(time) {
    const s = surface();
    const marked = { ...s, critical_points: app.grid.critical };
    const three = app.state.view === "3d";
    const showTest = app.state.test && app.grid.test !== null;
    const title = s.title[language()];
    const data = [];
    if (three) {
      data.push(...surface3dTraces(app.grid.train, showTest ? app.grid.test : null, { train: t("train_surface"), test: t("test_surface") }));
      data.push(criticalPointTrace(marked, t("critical_points"), app.grid.train));
    } else {
      if (!app.grid.traces) {
        // Built once per grid: the same objects let Plotly.react skip recomputing the contours.
        app.grid.traces = { train: contourTrace(app.grid.train), test: app.grid.test ? testContourTrace(app.grid.test, t("test_surface")) : null };
      }
      data.push(app.grid.traces.train);
      if (showTest) data.push(app.grid.traces.test);
      if (app.basins) {
        const names = {
          title: t("basins_for", { config: labels()[app.basins.config] || `#${app.basins.config + 1}` }),
          basin: (p) => t("basin_of", { where: pointLabel(p) }),
          other: t("basin_other"),
          none: t("basin_none"),
        };
        data.push(basinTrace(app.basins), ...basinLegend(app.basins, names));
      }
      data.push(criticalPointTrace(marked, t("critical_points")));
    }
    if (app.analysis) data.push(...eigenTraces(app.analysis, app.analysisPoint, s, three ? app.grid.train : null));
    if (three) {
      data.push(...trajectoryTraces(app.run, time, labels(), { z: heightOf, divergedName: t("diverged") }));
      data.push(...selectedTraces(app.run, time, app.state.selected, { z: heightOf, name: t("selected") }));
    } else if (app.run) {
      data.push(...legendTraces(labels(), { diverged: app.anyDiverged, divergedName: t("diverged") }));
    }
    return { data, layout: scaled(three ? layout3d(s, title) : surfaceLayout(s, title), app.fontScale) };
  }

  function reactSurface() {
    if (!app.grid || !window.Plotly) return null;
    const fig = surfaceFigure(app.time);
    return window.Plotly.react("surface-plot", fig.data, fig.layout, PLOT_CONFIG);
  }

  // An object's identity as a number, for the key of what the still figure shows.
  const identities = new WeakMap();
  let lastIdentity = 0;
  function identity(object) {
    if (object === null || object === undefined) return 0;
    if (!identities.has(object)) identities.set(object, ++lastIdentity);
    return identities.get(object);
  }

  // Everything the contour view's Plotly figure depends on; the time and the run's positions
  // are not in it (they are the canvas layer's).
  function stillKey() {
    return [
      app.state.surface,
      identity(app.grid),
      app.state.test,
      identity(app.basins),
      identity(app.analysis),
      app.run ? labels().join("|") : "",
      app.anyDiverged,
      language(),
    ].join("#");
  }

  // Data coordinates → pixels of the plot (Plotly's own axis maps), and the plot area.
  function plotView(gd) {
    const L = gd._fullLayout;
    const m = L._size;
    return { left: m.l, top: m.t, width: m.w, height: m.h, px: (x) => m.l + L.xaxis.l2p(x), py: (y) => m.t + L.yaxis.l2p(y) };
  }

  // Which configurations (and whether the diverged crosses) were switched off in the legend.
  function hiddenParts(gd) {
    const hidden = { configs: [], diverged: false };
    (gd.data || []).forEach((trace, i) => {
      const off = gd._fullData && gd._fullData[i] ? gd._fullData[i].visible === "legendonly" : false;
      if (trace.meta && typeof trace.meta.config === "number") hidden.configs[trace.meta.config] = off;
      if (trace.meta && trace.meta.diverged) hidden.diverged = off;
    });
    return hidden;
  }

  function contourShown(gd) {
    return app.state.view !== "3d" && app.grid !== null && gd._fullLayout !== undefined && gd._fullLayout.xaxis !== undefined && gd._fullLayout.scene === undefined;
  }

  // The moving part of the contour view at app.time, on the canvas over the plot: a few
  // milliseconds, where a Plotly redraw takes a hundred or more.
  function paintLayer() {
    const gd = $("surface-plot");
    const canvas = $("moving-layer");
    const ratio = window.devicePixelRatio || 1;
    const width = gd.clientWidth;
    const heightPx = gd.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(heightPx * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(heightPx * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${heightPx}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!contourShown(gd)) {
      app.drawn = null;
      return;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    app.drawn = movingScene(app.run, app.time, app.state.selected, surface().domain, hiddenParts(gd));
    paintScene(ctx, app.run, app.drawn, plotView(gd));
  }

  // One draw of the surface at a time, at most one per animation frame, always of the newest
  // state: requests made while a draw is in flight are merged into the next one, so a fast
  // stream or playback never queues up stale frames. Plotly redraws only when the still part
  // changed (or in 3-D); otherwise only the canvas layer is repainted.
  const painter = { scheduled: false, busy: false, key: null };

  function drawSurface() {
    if (painter.scheduled) return;
    painter.scheduled = true;
    requestAnimationFrame(paint);
  }

  async function paint() {
    if (painter.busy) {
      requestAnimationFrame(paint);
      return;
    }
    painter.scheduled = false;
    painter.busy = true;
    try {
      const key = app.state.view === "3d" ? null : stillKey();
      if (key === null || key !== painter.key) {
        painter.key = key;
        // A draw that never settles must not stop all later ones.
        await Promise.race([reactSurface(), new Promise((resolve) => setTimeout(resolve, 2000))]);
      }
      paintLayer();
    } catch (err) {
      painter.key = null;
      throw err;
    } finally {
      painter.busy = false;
    }
    afterDraw();
  }

  // Bookkeeping after each draw: the frame count while playing and the timing stamps that
  // bench/browser.py reads.
  function afterDraw() {
    const now = performance.now();
    if (app.playing) {
      app.playback.frames += 1;
      app.playback.until = now;
    }
    const run = app.run;
    if (!run || run.filled === 0) return;
    if (app.timing.firstDrawAt < app.timing.changedAt) app.timing.firstDrawAt = now;
    if (run.divergedAt !== null && app.time === run.steps && app.timing.doneDrawAt < app.timing.changedAt) app.timing.doneDrawAt = now;
  }

  function wirePlotClicks() {
    const plot = $("surface-plot");
    // The canvas layer follows the plot: zoom, pan, resize, a legend entry clicked off.
    for (const name of ["plotly_afterplot", "plotly_relayouting", "plotly_restyle"]) plot.on(name, paintLayer);
    plot.on("plotly_click", (event) => {
      if (contourShown(plot) && app.drawn && event.event) {
        // A start's dot on the canvas layer: follow it, and analyse where it is.
        const box = $("moving-layer").getBoundingClientRect();
        const hit = nearestDot(app.drawn, plotView(plot), event.event.clientX - box.left, event.event.clientY - box.top);
        if (hit) {
          const dots = app.drawn.configs[hit.config].dots;
          onSelect(hit.config, hit.start);
          onAnalyze([dots.x[hit.start], dots.y[hit.start]]);
          return;
        }
      }
      const p = event.points && event.points[0];
      if (!p || p.x === undefined || p.y === undefined) return;
      const point = [Number(p.x), Number(p.y)];
      const meta = p.data && p.data.meta;
      if (meta && typeof meta.dots === "number") {
        // A start's dot in 3-D.
        onSelect(meta.dots, p.pointNumber);
        onAnalyze(point);
        return;
      }
      const mode = document.querySelector("input[name=click-mode]:checked").value;
      if (mode === "analyze") onAnalyze(point);
      else {
        onAddStart(point);
      }
    });
  }

  return {
    draw: drawSurface,
    react: reactSurface,
    figure: surfaceFigure,
    contourShown,
    bindClicks: wirePlotClicks,
    // The canvas layer's moving part at step `time`, painted into a context (the video export).
    paintMoving(ctx, time) {
      const gd = $("surface-plot");
      paintScene(ctx, app.run, movingScene(app.run, time, app.state.selected, surface().domain, hiddenParts(gd)), plotView(gd));
    },
    // Plotly too on the next draw, not only the canvas layer (a layout or a font change).
    forget() {
      painter.key = null;
    },
    // Whether drawing is still to happen (the tests wait for it).
    rendering: () => painter.scheduled || painter.busy,
  };
}
