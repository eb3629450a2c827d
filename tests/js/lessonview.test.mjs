import assert from "node:assert/strict";
import { test } from "node:test";

import { neighbourScene, sceneOrder, scenePosition } from "../../static/js/lessonview.js";

const LESSONS = [{ scenes: [{}, {}] }, { scenes: [{}] }, { scenes: [{}, {}, {}] }];

test("scenes run on from one lesson into the next", () => {
  assert.deepEqual(sceneOrder(LESSONS), [[0, 0], [0, 1], [1, 0], [2, 0], [2, 1], [2, 2]]);
  assert.equal(scenePosition(LESSONS, { lesson: 1, scene: 0 }), 2);
  assert.equal(scenePosition(LESSONS, null), -1);
  assert.deepEqual(neighbourScene(LESSONS, { lesson: 0, scene: 1 }, 1), [1, 0]);
  assert.deepEqual(neighbourScene(LESSONS, { lesson: 1, scene: 0 }, -1), [0, 1]);
});

test("next and previous stop at the ends", () => {
  assert.deepEqual(neighbourScene(LESSONS, { lesson: 2, scene: 2 }, 1), [2, 2]);
  assert.deepEqual(neighbourScene(LESSONS, { lesson: 0, scene: 0 }, -1), [0, 0]);
  assert.equal(neighbourScene([], null, 1), null);
});
