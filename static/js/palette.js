// How the app draws things: colours and marker symbols, in one place. The notebook figures
// (errorscape.plot) read this file too, so a figure there looks like the page. Values are
// JSON literals on purpose: keep them so.
export const COLORS = ["#f97316", "#22d3ee", "#a3e635", "#f472b6"];
export const BASIN_COLORS = ["#ef4444", "#3b82f6", "#22c55e", "#eab308", "#a855f7", "#ec4899", "#14b8a6", "#f97316"];
export const SURFACE_COLORSCALE = "Viridis";
export const CRITICAL_COLOR = "#facc15";
export const CRITICAL_SYMBOLS = {"minimum": "star", "maximum": "triangle-up", "saddle": "x", "degenerate": "diamond-open"};
export const DIVERGED_COLOR = "#ef4444";
export const NO_BASIN_COLOR = "#6b7280";
export const EIGEN_COLORS = {"-1": "#ef4444", "0": "#9ca3af", "1": "#22c55e"};
