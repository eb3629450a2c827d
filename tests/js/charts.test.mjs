// Pure chart functions: what the charts draw, checked without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LOG_FLOOR, endKindChart, endKindRows, forLogAxis, scaled, share } from "../../static/js/charts.js";

test("a log axis never gets a 0: zeros sit at half the least positive value", () => {
  const [a, b] = forLogAxis([[1, 0.5, 0], [null, 0.25, Number.NaN]]);
  assert.deepEqual(a, [1, 0.5, 0.125]);
  assert.deepEqual(b, [null, 0.25, null]);
});

test("a series that is 0 everywhere (a start on a saddle) is drawn at the floor, not dropped", () => {
  assert.deepEqual(forLogAxis([[0, 0, 0]]), [[LOG_FLOOR, LOG_FLOOR, LOG_FLOOR]]);
});

const ENDS = {
  kinds: ["minimum", "saddle", "maximum", "degenerate", "not_critical", "diverged"],
  counts: [
    [3, 1, 0, 0, 6, 0],
    [5, 0, 0, 0, 5, 0],
  ],
  minima: [
    { point: [0, 0], loss: 0, global: true, counts: [2, 4] },
    { point: [2, 0], loss: 0.4, global: false, counts: [1, 1] },
  ],
};

test("end-point rows: the minima first, then only the verdicts some end point got", () => {
  const rows = endKindRows(ENDS);
  assert.deepEqual(
    rows.map((r) => r.kind ?? r.point.join(",")),
    ["0,0", "2,0", "minimum", "saddle", "not_critical"],
  );
  assert.deepEqual(rows[0].counts, [2, 4]);
  assert.equal(rows[0].global, true);
});

test("many minima: the first few, the rest summed into one row", () => {
  const minima = Array.from({ length: 7 }, (_, i) => ({ point: [i, 0], loss: i, global: i === 0, counts: [i, 1] }));
  const rows = endKindRows({ ...ENDS, minima });
  const other = rows.find((r) => r.kind === "other_minima");
  assert.equal(rows.filter((r) => r.point).length, 3);
  assert.deepEqual(other.counts, [3 + 4 + 5 + 6, 4]);
});

test("each bar says its share of the configuration's starts", () => {
  const traces = endKindChart(ENDS, ["#1", "#2"], (row) => row.kind ?? `at ${row.point}`);
  assert.equal(traces.length, 2);
  assert.equal(traces[0].orientation, "h");
  assert.deepEqual(traces[0].x, [2, 1, 3, 1, 6]);
  assert.deepEqual(traces[0].text, ["20 %", "10 %", "30 %", "10 %", "60 %"]);
  assert.deepEqual(traces[1].text, ["40 %", "10 %", "50 %", "", "50 %"]);
});

test("a bar that is there never reads 0 %", () => {
  assert.equal(share(1, 256), "<1 %");
  assert.equal(share(2, 256), "1 %");
  assert.equal(share(0, 256), "");
  assert.equal(share(256, 256), "100 %");
});

test("presentation mode scales every font, and scale 1 changes nothing", () => {
  const layout = { title: { text: "t", font: { size: 14 } }, legend: { font: { size: 11 } }, xaxis: {}, yaxis: { title: { text: "y" } } };
  assert.equal(scaled(layout, 1), layout);
  const big = scaled(layout, 1.5);
  assert.equal(big.title.font.size, 21);
  assert.equal(big.legend.font.size, 17);
  assert.equal(big.xaxis.tickfont.size, 18);
  assert.equal(big.yaxis.title.text, "y");
  assert.equal(layout.title.font.size, 14); // the argument is left alone
});

test("the chart tabs wrap round under the arrow keys", async () => {
  const { CHART_TABS, nextTab } = await import("../../static/js/chartview.js");
  assert.equal(nextTab(CHART_TABS[0], -1), CHART_TABS[CHART_TABS.length - 1]);
  assert.equal(nextTab(CHART_TABS[CHART_TABS.length - 1], 1), CHART_TABS[0]);
  assert.equal(nextTab("lr", 1), "ratio");
});

test("the Hessian panel's numbers: four digits, and coordinates without float noise", async () => {
  const { coordinate, fmt } = await import("../../static/js/hessianview.js");
  assert.equal(fmt(null), "—");
  assert.equal(fmt(2 / 3), "0.6667");
  assert.equal(coordinate(0.1 + 0.2), "0.3");
  assert.equal(coordinate(-1.4839999675750732), "-1.484");
});
