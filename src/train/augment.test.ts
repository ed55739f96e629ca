import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../ops/index.js';
import { augmentImage } from './augment.js';

/** A 32 x 32 frame with one white pixel on black, at (x, y). */
function dot(x: number, y: number) {
  const data = new Uint8Array(32 * 32 * 3);
  data.fill(255, (y * 32 + x) * 3, (y * 32 + x) * 3 + 3);
  return { width: 32, height: 32, data };
}

function brightest(img: { width: number; data: Uint8Array }): [number, number] {
  let best = 0;
  for (let i = 0; i < img.data.length; i += 3) if (img.data[i]! > img.data[best]!) best = i;
  return [(best / 3) % img.width, Math.floor(best / 3 / img.width)];
}

test('augmentation shifts the frame by at most 4 px without rescaling it, and keeps its size', () => {
  const rand = seededRandom(7);
  const shifts = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const out = augmentImage(dot(16, 12), rand);
    assert.equal(out.width, 32);
    assert.equal(out.data.length, 32 * 32 * 3);
    const [x, y] = brightest(out);
    assert.ok(Math.abs(x - 16) <= 4 && Math.abs(y - 12) <= 4, `moved to ${x},${y}`);
    // Still one bright pixel: a shift, not a zoom that would smear it.
    const bright = out.data.filter((v, j) => j % 3 === 0 && v > out.data[0]! + 100).length;
    assert.equal(bright, 1);
    shifts.add(`${x - 16},${y - 12}`);
  }
  assert.ok(shifts.size > 40, `only ${shifts.size} distinct shifts`);
});

test('augmentation repeats edge pixels into the uncovered border', () => {
  const img = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) };
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) img.data.fill(x * 30, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
  const rand = seededRandom(3);
  for (let i = 0; i < 50; i++) {
    const out = augmentImage(img, rand);
    // Every row is a non-decreasing ramp: edge repetition never wraps the far column around.
    for (let y = 0; y < 8; y++) for (let x = 1; x < 8; x++) assert.ok(out.data[(y * 8 + x) * 3]! >= out.data[(y * 8 + x - 1) * 3]!);
  }
});
