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

test('lanczos3 resize: an axis kept at its size is untouched, mirror-symmetric, sharper than the triangle filter', () => {
  const noise = Uint8Array.from({ length: 12 * 10 * 3 }, (_, i) => (i * 97 + 13) & 255);
  const img: RgbImage = { width: 12, height: 10, data: noise };
  // Along an axis kept at its size the kernel is 1 at offset 0 and 0 at the other integers: each
  // column of a height-only resize is that column resized on its own.
  const shorter = resize(img, 12, 5);
  for (const x of [0, 5, 11]) {
    const column: RgbImage = { width: 1, height: 10, data: Uint8Array.from({ length: 30 }, (_, i) => img.data[(Math.floor(i / 3) * 12 + x) * 3 + (i % 3)]!) };
    const alone = resize(column, 1, 5);
    for (let y = 0; y < 5; y++) assert.deepEqual([...shorter.data.subarray((y * 12 + x) * 3, (y * 12 + x) * 3 + 3)], [...alone.data.subarray(y * 3, y * 3 + 3)]);
  }
  const mirror = (m: RgbImage): RgbImage => {
    const out = new Uint8Array(m.data.length);
    for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) out.set(m.data.subarray((y * m.width + x) * 3, (y * m.width + x) * 3 + 3), (y * m.width + m.width - 1 - x) * 3);
    return { width: m.width, height: m.height, data: out };
  };
  assert.deepEqual(resize(mirror(img), 5, 4), mirror(resize(img, 5, 4)));
  // A vertical edge, downscaled 256 -> 224: lanczos keeps it steeper than antialiased bilinear.
  const edge: RgbImage = { width: 256, height: 4, data: Uint8Array.from({ length: 256 * 4 * 3 }, (_, i) => (Math.floor(i / 3) % 256 < 128 ? 0 : 255)) };
  const steepness = (r: RgbImage) => Math.max(...Array.from({ length: r.width - 1 }, (_, x) => r.data[(x + 1) * 3]! - r.data[x * 3]!));
  assert.ok(steepness(resize(edge, 224, 4, 'lanczos3')) > steepness(resize(edge, 224, 4, 'triangle')));
});

test("center crop samples the central sqrt(area) box bilinearly, as OpenVLA's crop_and_resize does", () => {
  // A horizontal ramp: pixel value 10·x. The crop's column k samples x = lo·(W - 1) + k·sqrt(0.9).
  const W = 20;
  const ramp: RgbImage = { width: W, height: 3, data: Uint8Array.from({ length: W * 3 * 3 }, (_, i) => 10 * (Math.floor(i / 3) % W)) };
  const out = centerCrop(ramp, 0.9);
  const side = Math.sqrt(0.9);
  const lo = (1 - side) / 2;
  for (const k of [0, 7, W - 1]) {
    const x = lo * (W - 1) + k * side;
    assert.equal(out.data[(W + k) * 3], Math.floor(((10 * x) / 255) * 255.5), `column ${k}`);
  }
  assert.ok(out.data[0]! > 0 && out.data[(W - 1) * 3]! < 190, 'the borders are cut off');
});
