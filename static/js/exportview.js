// Saving what the surface view shows: a PNG of the picture with its runs, and a WebM of the run
// from step 0 to its end with the loss chart under it.  This view owns the two export buttons;
// what the picture is comes from the controller (`surfaceFigure`, the canvas layer's painter).
import { download, loadImage, recordVideo, saveCanvas, savePng, videoSupported } from "./recorder.js";

export function createExportView({ app, t, status, surfaceFigure, contourShown, paintMoving }) {
  const $ = (id) => document.getElementById(id);


  function exportName() {
    return `errorscape-${app.state.surface}-${app.state.view}`;
  }

  // The contour view as an image: Plotly's still figure at the plot's own size (so the canvas
  // layer's pixel map applies), with the moving part painted over it at step `time`.
  async function stillImage(scale) {
    const gd = $("surface-plot");
    const L = gd._fullLayout;
    return loadImage(await window.Plotly.toImage(gd, { format: "png", width: L.width, height: L.height, scale }));
  }

  function paintFrame(ctx, background, time, scale, width = ctx.canvas.width, height = ctx.canvas.height) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(background, 0, 0, width, height);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    paintMoving(ctx, time);
  }

  async function exportPng() {
    const gd = $("surface-plot");
    if (!contourShown(gd)) {
      savePng(gd, exportName(), { width: gd.clientWidth, height: gd.clientHeight });
      return;
    }
    const scale = 2;
    const canvas = document.createElement("canvas");
    canvas.width = gd._fullLayout.width * scale;
    canvas.height = gd._fullLayout.height * scale;
    paintFrame(canvas.getContext("2d"), await stillImage(scale), app.time, scale);
    await saveCanvas(canvas, `${exportName()}.png`);
  }

  // The run from step 0 to its end as a WebM. The contour view renders its still part once and
  // paints the moving part per frame; the 3-D view renders every frame with Plotly.
  async function exportVideo() {
    if (!app.run) return;
    const button = $("export-webm");
    button.disabled = true;
    try {
      const frames = 48;
      const times = Array.from({ length: frames + 1 }, (_, i) => Math.round((i * app.run.steps) / frames));
      const gd = $("surface-plot");
      const width = gd._fullLayout.width & ~1;
      const height = gd._fullLayout.height & ~1;
      let picture;
      if (contourShown(gd)) {
        const background = await stillImage(1);
        picture = { prepare: async (time) => time, draw: async (ctx, time) => paintFrame(ctx, background, time, 1, width, height) };
      } else {
        picture = {
          prepare: (time) => {
            const fig = surfaceFigure(time);
            return window.Plotly.toImage({ data: fig.data, layout: { ...fig.layout, width, height } }, { format: "png", width, height });
          },
          draw: async (ctx, url) => ctx.drawImage(await loadImage(url), 0, 0, width, height),
        };
      }
      // The loss chart under the picture, drawn once; a cursor marks each frame's step on it.
      const chart = $("loss-chart");
      const chartHeight = Math.round(height * 0.4) & ~1;
      const layout = { ...chart.layout, width, height: chartHeight, shapes: [] };
      const lossImage = await loadImage(await window.Plotly.toImage({ data: chart.data, layout }, { format: "png", width, height: chartHeight }));
      const margin = layout.margin;
      const [x0, x1] = chart._fullLayout.xaxis.range;
      const cursorX = (time) => margin.l + ((time - x0) / (x1 - x0)) * (width - margin.l - margin.r);
      const source = {
        prepare: picture.prepare,
        draw: async (ctx, prepared, time) => {
          await picture.draw(ctx, prepared);
          ctx.setTransform(1, 0, 0, 1, 0, 0);
          ctx.drawImage(lossImage, 0, height, width, chartHeight);
          ctx.strokeStyle = "#facc15";
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.moveTo(cursorX(time), height + margin.t);
          ctx.lineTo(cursorX(time), height + chartHeight - margin.b);
          ctx.stroke();
        },
      };
      app.lastVideo = { width, height: height + chartHeight, parts: ["surface", "loss"] };
      const blob = await recordVideo(source, times, {
        width,
        height: height + chartHeight,
        onProgress: (p) => status(`${t("recording")} ${Math.round(100 * p)} %`),
      });
      download(blob, `${exportName()}.webm`);
      status(`${t("saved")} ${exportName()}.webm (${(blob.size / 1024).toFixed(0)} KiB)`);
    } catch (err) {
      status(`${t("error")}: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  }

  function bind() {
    $("export-png").addEventListener("click", exportPng);
    $("export-webm").addEventListener("click", exportVideo);
  }

  function render() {
    $("export-webm").disabled = !videoSupported();
  }

  return { bind, render, exportPng, exportVideo };
}
