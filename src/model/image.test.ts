import assert from 'node:assert/strict';
import { test } from 'node:test';
import { centerCrop, patchify, resize, rotate180, type RgbImage } from './image.js';

const solid = (w: number, h: number, rgb: number[]): RgbImage => ({ width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3]!) });

test('resize keeps flat colors, antialiases a checkerboard to gray, and sizes right', () => {
  const r = resize(solid(256, 256, [10, 200, 30]), 224, 224);
  assert.equal(r.data.length, 224 * 224 * 3);
  assert.ok(r.data.every((v, i) => v === [10, 200, 30][i % 3]));
  const board: RgbImage = { width: 64, height: 64, data: Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => ((Math.floor(i / 3) % 64) + Math.floor(i / 192)) % 2 ? 255 : 0) };
  const small = resize(board, 8, 8);
  for (const v of small.data) assert.ok(Math.abs(v - 128) < 20, `antialiased value ${v}`);
});

test('rotate180 twice is the identity and moves the first pixel to the last', () => {
  const img: RgbImage = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i) };
  const r = rotate180(img);
  assert.deepEqual([...r.data.subarray(15, 18)], [0, 1, 2]);
  assert.deepEqual(rotate180(r), img);
  assert.deepEqual(centerCrop(solid(20, 20, [1, 2, 3]), 0.9), solid(20, 20, [1, 2, 3]));
});

test('patchify lays each patch out as (channel, y, x), normalized', () => {
  const img: RgbImage = { width: 4, height: 2, data: new Uint8Array(24) };
  img.data[(1 * 4 + 3) * 3 + 2] = 255; // pixel (x 3, y 1), blue
  const p = patchify(img, 2, [0, 0, 0], [1, 1, 1]);
  assert.deepEqual(p.shape, [2, 12]);
  // Second patch (x 2..3), channel 2, y 1, x 1 -> index 2·4 + 1·2 + 1 = 11.
  assert.equal(p.data[12 + 11], 1);
  assert.equal(p.data.reduce((a, b) => a + b), 1);
});
