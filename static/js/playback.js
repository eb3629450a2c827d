// How fast playback goes: pure, no DOM.  At 1× a run plays for about a second per 100 steps,
// at least 4 s and at most 20 s, so a blow-up at step 230 of 1,000 is on screen for a while
// instead of flashing past (a fixed 150 frames squeezed every run into 2.5 s).
export const FRAMES_PER_SECOND = 60;
export const MIN_SECONDS = 4;
export const MAX_SECONDS = 20;

export function playbackSeconds(steps, speed = 1) {
  return Math.min(MAX_SECONDS, Math.max(MIN_SECONDS, steps / 100)) / speed;
}

// Steps to advance per animation frame (fractional: short runs take several frames a step).
export function stepsPerFrame(steps, speed = 1) {
  return steps / (playbackSeconds(steps, speed) * FRAMES_PER_SECOND);
}
