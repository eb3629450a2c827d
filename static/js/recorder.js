// Exports of the surface view: a PNG of what is on screen, and a WebM video of the run played
// from step 0 to the end. Frames are rendered off screen with Plotly.toImage (the live view is
// untouched), then fed to a MediaRecorder at a steady pace, so the video plays evenly however
// long each frame took to render.

export function savePng(plot, filename, size) {
  return window.Plotly.downloadImage(plot, { format: "png", filename, width: size.width, height: size.height, scale: 2 });
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("frame image failed to load"));
    img.src = url;
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function videoSupported() {
  return typeof MediaRecorder !== "undefined" && typeof HTMLCanvasElement.prototype.captureStream === "function";
}

// `figure(t)` → {data, layout} of the view at step t; `times`: the steps to show, in order.
// Answers the video as a Blob.
export async function recordVideo(figure, times, { width, height, fps = 15, onProgress = () => {} }) {
  if (!videoSupported()) throw new Error("this browser cannot record video");
  const images = [];
  for (let i = 0; i < times.length; i++) {
    const fig = figure(times[i]);
    images.push(await window.Plotly.toImage({ data: fig.data, layout: { ...fig.layout, width, height } }, { format: "png", width, height }));
    onProgress((i + 1) / (2 * times.length));
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0];
  const mimeType = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"].find((m) => MediaRecorder.isTypeSupported(m));
  const recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: 4_000_000 });
  const parts = [];
  recorder.ondataavailable = (event) => {
    if (event.data.size) parts.push(event.data);
  };
  const stopped = new Promise((resolve) => {
    recorder.onstop = resolve;
  });
  recorder.start();
  for (let i = 0; i < images.length; i++) {
    ctx.drawImage(await loadImage(images[i]), 0, 0, width, height);
    track.requestFrame();
    onProgress(0.5 + (i + 1) / (2 * images.length));
    await sleep(1000 / fps);
  }
  recorder.stop();
  await stopped;
  track.stop();
  return new Blob(parts, { type: "video/webm" });
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
