import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { decodePng, encodePng } from './png.js';

test('PNG round-trips an RGB image', () => {
  const img = { width: 5, height: 3, data: Uint8Array.from({ length: 45 }, (_, i) => (i * 37) & 255) };
  assert.deepEqual(decodePng(encodePng(img)), img);
});

test('PNG decoding undoes every filter type (a hand-built RGBA file with filters 0-4)', () => {
  const w = 2;
  const h = 5;
  const pixels = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 53 + 7) & 255);
  const stride = w * 4;
  const raw: number[] = [];
  for (let y = 0; y < h; y++) {
    const filter = y; // 0 none, 1 sub, 2 up, 3 average, 4 paeth
    raw.push(filter);
    for (let i = 0; i < stride; i++) {
      const x = pixels[y * stride + i]!;
      const a = i >= 4 ? pixels[y * stride + i - 4]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= 4 ? pixels[(y - 1) * stride + i - 4]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      raw.push((x - [0, a, b, (a + b) >> 1, paeth][filter]! + 256) & 255);
    }
  }
  const png = encodePng({ width: w, height: h, data: new Uint8Array(w * h * 3) });
  // Swap in an RGBA header and the filtered data.
  const ihdrAt = 8;
  const copy = Buffer.from(png);
  copy[ihdrAt + 8 + 9] = 6;
  const fixCrc = (at: number, len: number) => {
    const table = Array.from({ length: 256 }, (_, n) => {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      return c >>> 0;
    });
    let c = 0xffffffff;
    for (const b of copy.subarray(at + 4, at + 8 + len)) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
    copy.writeUInt32BE((c ^ 0xffffffff) >>> 0, at + 8 + len);
  };
  fixCrc(ihdrAt, 13);
  const idat = deflateSync(Uint8Array.from(raw));
  const head = Buffer.alloc(8);
  head.writeUInt32BE(idat.length, 0);
  head.write('IDAT', 4);
  const file = Buffer.concat([copy.subarray(0, 33), head, idat, Buffer.alloc(4), copy.subarray(copy.length - 12)]);
  const img = decodePng(file);
  const want = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) want.set(pixels.subarray(i * 4, i * 4 + 3), i * 3);
  assert.deepEqual(img.data, want);
});

test('bad PNGs are refused clearly', () => {
  assert.throws(() => decodePng(Buffer.from('not a png')), /not a PNG file/);
  assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8Array(5) }), /needs 12 bytes/);
  const png = encodePng({ width: 2, height: 2, data: new Uint8Array(12) });
  assert.throws(() => decodePng(png.subarray(0, 30)), /truncated IHDR chunk|no IHDR/);
});
