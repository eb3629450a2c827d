import assert from "node:assert/strict";
import { test } from "node:test";

import { FRAMES_PER_SECOND, playbackSeconds, stepsPerFrame } from "../../static/js/playback.js";

test("a long run plays long enough to see a blow-up; a short one is not a flash either", () => {
  assert.equal(playbackSeconds(1000), 10); // Adagrad's blow-up at step 230 shows for seconds
  assert.equal(playbackSeconds(300), 4);
  assert.equal(playbackSeconds(100000), 20);
  assert.equal(playbackSeconds(1000, 4), 2.5);
});

test("steps per frame cover the run in its playback time", () => {
  for (const steps of [10, 300, 1000, 2560, 100000]) {
    const frames = steps / stepsPerFrame(steps);
    assert.ok(Math.abs(frames - playbackSeconds(steps) * FRAMES_PER_SECOND) < 1e-6, String(steps));
  }
});
