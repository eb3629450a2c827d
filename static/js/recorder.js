// Exports of the surface view: a PNG of what is on screen, and a WebM video of the run played
// from step 0 to the end. Frames are prepared first (a 3-D frame is rendered off screen with
// Plotly.toImage, which takes far longer than a frame lasts), then drawn and fed to a
// MediaRecorder at a steady pace, so the video plays evenly however long each took.

export function savePng(plot, filename, size) {
  return window.Plotly.downloadImage(plot, { format: "png", filename, width: size.width, height: size.height, scale: 2 });
}

export function loadImage(url) {
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

// `source`: {prepare(t) → Promise of what `draw(ctx, prepared)` needs to draw step t};
// `times`: the steps to show, in order. Answers the video as a Blob.
export async function recordVideo(source, times, { width, height, fps = 15, onProgress = () => {} }) {
  if (!videoSupported()) throw new Error("this browser cannot record video");
  const prepared = [];
  for (let i = 0; i < times.length; i++) {
    prepared.push(await source.prepare(times[i]));
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
  for (let i = 0; i < prepared.length; i++) {
    await source.draw(ctx, prepared[i], times[i]);
    track.requestFrame();
    onProgress(0.5 + (i + 1) / (2 * prepared.length));
    await sleep(1000 / fps);
  }
  recorder.stop();
  await stopped;
  track.stop();
  return new Blob(parts, { type: "video/webm" });
}

export function saveCanvas(canvas, filename) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) {
        reject(new Error("the image could not be encoded"));
        return;
      }
      download(blob, filename);
      resolve();
    }, "image/png");
  });
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
