// The Hessian panel (gradient, Hessian, eigenvalues and the verdict at a point, and the escape
// step from a saddle) and the selected start's summary: this view owns the right-hand column
// under the scene's text.  The analysis comes from the server (POST /api/analyze).

export function fmt(v) {
  return v === null ? "—" : Number(v).toPrecision(4);
}

// A coordinate as an input shows it: six significant digits, never a 17-digit float.
export function coordinate(v) {
  return String(Number(Number(v).toPrecision(6)));
}

// `analyzePoint(point)` asks the server; `onAnalysis()` redraws what shows the analysis (the
// eigenvector arrows); `onEscape(point)` adds the escape step's landing point as a start.
export function createHessianView({ app, t, status, analyzePoint, onAnalysis, onEscape }) {
  const $ = (id) => document.getElementById(id);

  async function show(point) {
    let a;
    try {
      a = await analyzePoint(point);
    } catch (err) {
      status(`${t("error")}: ${err.message}`);
      return;
    }
    app.analysis = a;
    app.analysisPoint = point;
    $("point-x").value = coordinate(point[0]);
    $("point-y").value = coordinate(point[1]);
    const rows = [
      [t("kind"), t(a.kind), "verdict"],
      [t("point"), `(${fmt(point[0])}, ${fmt(point[1])})`],
      ["L", fmt(a.loss)],
      [t("gradient"), `(${fmt(a.gradient[0])}, ${fmt(a.gradient[1])})`],
      [t("hessian"), `[[${fmt(a.hessian[0][0])}, ${fmt(a.hessian[0][1])}], [${fmt(a.hessian[1][0])}, ${fmt(a.hessian[1][1])}]]`],
      [t("eigenvalues"), a.eigenvalues.map(fmt).join(", ")],
    ];
    $("analysis").replaceChildren(
      ...rows.flatMap(([k, v, cls]) => {
        const dt = document.createElement("dt");
        dt.textContent = k;
        const dd = document.createElement("dd");
        dd.textContent = v;
        if (cls) dd.className = cls;
        dd.dataset.field = k;
        return [dt, dd];
      }),
    );
    $("analysis").dataset.kind = a.kind;
    $("analysis").dataset.eigenvalues = JSON.stringify(a.eigenvalues);
    $("escape").disabled = a.escape_direction === null;
    onAnalysis();
  }

  function clear() {
    app.analysis = null;
    app.analysisPoint = null;
    $("analysis").replaceChildren();
    $("analysis").dataset.kind = "";
    $("escape").disabled = true;
  }

  // One escape step from a saddle: the server says where it lands (surfaces/critical.py).
  function escape() {
    const a = app.analysis;
    if (a && a.escape_point) onEscape([a.escape_point[0], a.escape_point[1]]);
  }

  function showSelected() {
    const sel = app.state.selected;
    const run = app.run;
    const info = $("selected-info");
    if (!sel || !run || sel.config >= run.configs || sel.start >= run.starts) {
      info.textContent = t("selected_hint");
      return;
    }
    const at = (k) => (k * run.configs + sel.config) * run.starts + sel.start;
    const end = Math.max(0, run.filled - 1);
    const value = (v) => fmt(Number.isNaN(v) ? null : v);
    info.textContent = t("selected_info", {
      c: sel.config + 1,
      s: sel.start + 1,
      x0: fmt(run.positions[2 * at(0)]),
      y0: fmt(run.positions[2 * at(0) + 1]),
      x1: value(run.positions[2 * at(end)]),
      y1: value(run.positions[2 * at(end) + 1]),
      l: value(run.loss[at(end)]),
    });
  }

  function bind() {
    $("escape").addEventListener("click", escape);
    $("analyze-point").addEventListener("click", () => {
      const point = [Number($("point-x").value), Number($("point-y").value)];
      if (point.every(Number.isFinite)) show(point);
    });
  }

  return { show, clear, showSelected, bind };
}
