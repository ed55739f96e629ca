import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './dtype.js';
import { erfc, referenceKernels as ref } from './reference.js';
import { maxAbsDiff } from './testing.js';
import { randomArray, seededRandom } from './random.js';

/** The reference is the spec; these pin it to independent facts, not to itself. */

test('matmul with transposed B equals matmul with B transposed by hand', () => {
  const rand = seededRandom(7);
  const [M, N, K] = [3, 5, 4];
  const a = randomArray(rand, M * K);
  const bt = randomArray(rand, N * K);
  const b = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) b[k * N + n] = bt[n * K + k]!;
  const c1 = new Float32Array(M * N);
  const c2 = new Float32Array(M * N);
  ref.matmul(a, b, c1, M, N, K, false);
  ref.matmul(a, bt, c2, M, N, K, true);
  assert.ok(maxAbsDiff(c1, c2) < 1e-6);
  const at = new Float32Array(K * M);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) at[k * M + m] = a[m * K + k]!;
  const c3 = new Float32Array(M * N);
  ref.matmulTransA(at, b, c3, M, N, K);
  assert.ok(maxAbsDiff(c1, c3) < 1e-6);
  // A hand-checked product.
  const c = new Float32Array(4);
  ref.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), c, 2, 2, 2, false);
  assert.deepEqual([...c], [19, 22, 43, 50]);
});

test('erfc matches known values; GELU is exact at known points', () => {
  const known: [number, number][] = [[0, 1], [0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047266], [-1, 1.8427007929497148], [4, 1.541725790028002e-8]];
  for (const [x, want] of known) assert.ok(Math.abs(erfc(x) - want) / want < 2e-7, `erfc(${x}) = ${erfc(x)}`);
  const out = new Float32Array(2);
  ref.geluErf(Float32Array.of(1, -3), out);
  assert.ok(Math.abs(out[0]! - 0.8413447460685429) < 1e-6);
  assert.ok(Math.abs(out[1]! - -0.004049694) < 1e-8);
});

test('rope: scores depend only on the distance between positions, and norms are kept', () => {
  const rand = seededRandom(3);
  const d = 8;
  const q = randomArray(rand, d);
  const k = randomArray(rand, d);
  const dotAt = (pq: number, pk: number): number => {
    const rq = new Float32Array(d);
    const rk = new Float32Array(d);
    ref.rope(q, Int32Array.of(pq), rq, 1, 1, d, 10000);
    ref.rope(k, Int32Array.of(pk), rk, 1, 1, d, 10000);
    return rq.reduce((s, v, i) => s + v * rk[i]!, 0);
  };
  assert.ok(Math.abs(dotAt(5, 2) - dotAt(103, 100)) < 1e-4);
  const r = new Float32Array(d);
  ref.rope(q, Int32Array.of(0), r, 1, 1, d, 10000);
  assert.deepEqual(r, q);
});

test('attention: a -inf mask entry is the same as leaving that key out', () => {
  const rand = seededRandom(11);
  const [S, d] = [6, 4];
  const q = randomArray(rand, d);
  const k = randomArray(rand, S * d);
  const v = randomArray(rand, S * d);
  const mask = new Float32Array(S);
  mask[1] = -Infinity;
  mask[4] = -Infinity;
  const keep = [0, 2, 3, 5];
  const pick = (x: Float32Array) => Float32Array.from(keep.flatMap((s) => [...x.subarray(s * d, (s + 1) * d)]));
  const o1 = new Float32Array(d);
  const o2 = new Float32Array(d);
  ref.attention(q, k, v, mask, o1, 1, S, 1, 1, d);
  ref.attention(q, pick(k), pick(v), null, o2, 1, keep.length, 1, 1, d);
  assert.ok(maxAbsDiff(o1, o2) < 1e-6);
});

test('softmax rows sum to one; layerNorm output has zero mean and unit variance', () => {
  const rand = seededRandom(5);
  const x = randomArray(rand, 3 * 50, 5);
  const s = new Float32Array(x.length);
  ref.softmax(x, s, 3, 50);
  for (let r = 0; r < 3; r++) assert.ok(Math.abs(s.subarray(r * 50, r * 50 + 50).reduce((a, b) => a + b) - 1) < 1e-6);
  const ln = new Float32Array(x.length);
  ref.layerNorm(x, new Float32Array(50).fill(1), new Float32Array(50), ln, 3, 50, 0);
  const row = ln.subarray(0, 50);
  const mean = row.reduce((a, b) => a + b) / 50;
  const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / 50;
  assert.ok(Math.abs(mean) < 1e-6 && Math.abs(variance - 1) < 1e-5);
});

test('16-bit formats: known bit patterns, round to nearest even, specials', () => {
  assert.equal(f32ToBf16Bits(1), 0x3f80);
  assert.equal(f32ToF16Bits(1), 0x3c00);
  assert.equal(f32ToF16Bits(65504), 0x7bff);
  assert.equal(f32ToF16Bits(65520), 0x7c00); // rounds up to infinity
  assert.equal(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f32ToF16Bits(2 ** -25), 0x0000); // halfway to zero: ties to even
  assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // halfway: ties to even (down)
  assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02); // halfway: ties to even (up)
  assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80);
  assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(f16BitsToF32(0x0001), 2 ** -24);
  assert.equal(f16BitsToF32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(f16BitsToF32(0x7e00)) && Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
  for (let h = 0; h < 0x7c00; h += 7) assert.equal(f32ToF16Bits(f16BitsToF32(h)), h);
  for (let h = 0; h < 0x7f80; h += 7) assert.equal(f32ToBf16Bits(bf16BitsToF32(h)), h);
});
