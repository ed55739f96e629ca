import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kernels } from './kernels.js';
import { loadNative, nativeKernels } from './native.js';
import { referenceKernels as ref } from './reference.js';
import { relativeError } from './testing.js';
import { randomArray, randomInt, seededRandom } from './random.js';

/**
 * The native addon must equal the TypeScript reference (within 1e-5 relative error) on random shapes,
 * odd sizes included. CI builds the addon, so there a missing addon is a failure, not a skip.
 */
const native = nativeKernels();
const mustHaveNative = process.env.CI === 'true' || process.env.SPEC_VLA_REQUIRE_NATIVE === '1';

test('native addon is loaded where it is required', () => {
  if (mustHaveNative) assert.ok(native, `native addon failed to load: ${loadNative().error}`);
});

const TOL = 1e-5;

/** A native kernel's output buffer: NaN until written. Ops hand kernels uninitialized memory (Tensor.empty), so a kernel must write every output. */
function unwritten(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  const err = relativeError(got, want);
  assert.ok(err <= TOL, `${name}: relative error ${err}`);
}

describe('native kernels equal the reference', { skip: native ? false : 'native addon not built' }, () => {
  const nat = native as Kernels;
  const rand = seededRandom(1234);

  test('matmul, plain and transposed B, odd sizes and single rows', () => {
    for (let trial = 0; trial < 60; trial++) {
      // Every row-count regime of the native product: one row, skinny (2..16), panel blocks of 64 (17..256), OpenBLAS beyond.
      const M = trial % 5 === 0 ? 1 : trial % 7 === 0 ? randomInt(rand, 100, 300) : randomInt(rand, 1, 70);
      const N = randomInt(rand, 1, 97);
      const K = randomInt(rand, 1, 300);
      for (const transB of [false, true]) {
        const a = randomArray(rand, M * K);
        const b = randomArray(rand, K * N);
        const c1 = new Float32Array(M * N);
        const c2 = unwritten(M * N);
        ref.matmul(a, b, c1, M, N, K, transB);
        nat.matmul(a, b, c2, M, N, K, transB);
        close(`matmul ${M}x${N}x${K} transB=${transB}`, c2, c1);
      }
      const at = randomArray(rand, K * M);
      const b = randomArray(rand, K * N);
      const c1 = new Float32Array(M * N);
      const c2 = unwritten(M * N);
      ref.matmulTransA(at, b, c1, M, N, K);
      nat.matmulTransA(at, b, c2, M, N, K);
      close(`matmulTransA ${M}x${N}x${K}`, c2, c1);
    }
  });

  test('matmulBf16: one row, a few, panel blocks and beyond, odd K', () => {
    for (let trial = 0; trial < 40; trial++) {
      const M = trial % 5 === 0 ? 1 : trial % 7 === 0 ? randomInt(rand, 100, 200) : randomInt(rand, 1, 70);
      const N = randomInt(rand, 1, 150);
      const K = trial % 3 === 0 ? 2 * randomInt(rand, 1, 200) - 1 : 2 * randomInt(rand, 1, 200);
      const a = randomArray(rand, M * K);
      const b = new Uint16Array(N * K);
      ref.f32ToBf16(randomArray(rand, N * K), b);
      const c1 = new Float32Array(M * N);
      const c2 = unwritten(M * N);
      ref.matmulBf16(a, b, c1, M, N, K);
      nat.matmulBf16(a, b, c2, M, N, K);
      close(`matmulBf16 ${M}x${N}x${K}`, c2, c1);
    }
  });

  test('packPanels and matmulPanels: the layout bit-exact, products of a few rows over odd N and K, column chunks', () => {
    for (let trial = 0; trial < 40; trial++) {
      const M = randomInt(rand, 1, 40);
      const N = trial % 4 === 0 ? randomInt(rand, 1, 20) : randomInt(rand, 1, 300);
      // Some large K, where a chunk of columns is held to whole tiles rather than to L2's size.
      const K = trial % 5 === 1 ? randomInt(rand, 1000, 3000) : randomInt(rand, 1, 300);
      const a = randomArray(rand, M * K);
      const b = randomArray(rand, N * K);
      const p1 = ref.packPanels(b, N, K);
      const p2 = nat.packPanels(b, N, K);
      assert.deepEqual(p2, p1, `packPanels ${N}x${K}`);
      const c1 = new Float32Array(M * N);
      const c2 = unwritten(M * N);
      ref.matmul(a, b, c1, M, N, K, true);
      nat.matmulPanels(a, p2, c2, M, N, K);
      close(`matmulPanels ${M}x${N}x${K}`, c2, c1);
      ref.matmulPanels(a, p1, c1, M, N, K);
      close(`reference matmulPanels ${M}x${N}x${K}`, c1, c2);
    }
    assert.throws(() => nat.matmulPanels(new Float32Array(4), new Float32Array(16), new Float32Array(2), 2, 1, 2), /matmulPanels: panels holds 16 values, needs 32/);
  });

  test('resample: both loop orders (lines of neighbouring pixels, lines across), odd sizes; reads past src refused', () => {
    for (let trial = 0; trial < 30; trial++) {
      const n = randomInt(rand, 1, 60);
      const m = randomInt(rand, 1, 40);
      const lines = randomInt(rand, 1, 30);
      const taps = randomInt(rand, 1, n);
      const first = Int32Array.from({ length: m }, () => randomInt(rand, 0, n - taps));
      const weights = randomArray(rand, m * taps);
      // Even trials: an interleaved image's vertical pass (lines = columns, 3 floats apart); odd: its horizontal pass.
      const vertical = trial % 2 === 0;
      const [lineIn, lineOut, stepIn, stepOut] = vertical ? [3, 3, 3 * lines, 3 * lines] : [3 * n, 3 * m, 3, 3];
      const src = randomArray(rand, 3 * n * lines);
      const o1 = new Float32Array(3 * m * lines);
      const o2 = unwritten(3 * m * lines);
      ref.resample(src, o1, lines, lineIn, lineOut, stepIn, stepOut, first, weights, taps);
      nat.resample(src, o2, lines, lineIn, lineOut, stepIn, stepOut, first, weights, taps);
      close(`resample n=${n} m=${m} lines=${lines} taps=${taps} vertical=${vertical}`, o2, o1);
    }
    const first = Int32Array.from([0, 3]);
    assert.throws(() => nat.resample(new Float32Array(12), new Float32Array(6), 1, 12, 6, 3, 3, first, new Float32Array(4), 2), /reads past src/);
  });

  test('add, mul (with row broadcast) and scale', () => {
    for (let trial = 0; trial < 20; trial++) {
      const cols = randomInt(rand, 1, 300);
      const rows = randomInt(rand, 1, trial < 3 ? 400 : 9);
      const a = randomArray(rand, rows * cols);
      for (const b of [randomArray(rand, rows * cols), randomArray(rand, cols)]) {
        for (const op of ['add', 'mul'] as const) {
          const o1 = new Float32Array(a.length);
          const o2 = unwritten(a.length);
          ref[op](a, b, o1);
          nat[op](a, b, o2);
          close(op, o2, o1);
        }
      }
      const s1 = new Float32Array(a.length);
      const s2 = unwritten(a.length);
      ref.scale(a, -1.7, s1);
      nat.scale(a, -1.7, s2);
      close('scale', s2, s1);
    }
  });

  test('rmsNorm and layerNorm', () => {
    for (let trial = 0; trial < 20; trial++) {
      const rows = randomInt(rand, 1, trial < 2 ? 300 : 20);
      const cols = randomInt(rand, 1, 513);
      const x = randomArray(rand, rows * cols, 3);
      const w = randomArray(rand, cols);
      const b = randomArray(rand, cols);
      const o1 = new Float32Array(x.length);
      const o2 = unwritten(x.length);
      ref.rmsNorm(x, w, o1, rows, cols, 1e-6);
      nat.rmsNorm(x, w, o2, rows, cols, 1e-6);
      close('rmsNorm', o2, o1);
      ref.layerNorm(x, w, b, o1, rows, cols, 1e-5);
      nat.layerNorm(x, w, b, o2, rows, cols, 1e-5);
      close('layerNorm', o2, o1);
      // Backward passes; rows up to 300 (the two first trials) take the parallel column sums.
      const g = randomArray(rand, rows * cols);
      const [d1, d2, w1, w2, b1, b2] = [x.length, x.length, cols, cols, cols, cols].map((n) => new Float32Array(n)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      ref.rmsNormGrad(x, w, g, d1, w1, rows, cols, 1e-6);
      nat.rmsNormGrad(x, w, g, d2, w2, rows, cols, 1e-6);
      close('rmsNormGrad dx', d2, d1);
      close('rmsNormGrad dw', w2, w1);
      ref.layerNormGrad(x, w, g, d1, w1, b1, rows, cols, 1e-5);
      nat.layerNormGrad(x, w, g, d2, w2, b2, rows, cols, 1e-5);
      close('layerNormGrad dx', d2, d1);
      close('layerNormGrad dw', w2, w1);
      close('layerNormGrad db', b2, b1);
    }
  });

  test('rope at large and repeated positions', () => {
    for (let trial = 0; trial < 20; trial++) {
      const T = randomInt(rand, 1, 20);
      const nHeads = randomInt(rand, 1, 5);
      const headDim = 2 * randomInt(rand, 1, 40);
      const x = randomArray(rand, T * nHeads * headDim);
      const pos = Int32Array.from({ length: T }, () => randomInt(rand, 0, 4000));
      const o1 = new Float32Array(x.length);
      const o2 = unwritten(x.length);
      ref.rope(x, pos, o1, T, nHeads, headDim, 10000);
      nat.rope(x, pos, o2, T, nHeads, headDim, 10000);
      close('rope', o2, o1);
    }
  });

  test('activations over a wide range, including large negative inputs', () => {
    const x = new Float32Array(100_003);
    for (let i = 0; i < x.length; i++) x[i] = -12 + (24 * i) / x.length;
    for (const op of ['silu', 'geluTanh', 'geluErf'] as const) {
      const o1 = new Float32Array(x.length);
      const o2 = unwritten(x.length);
      ref[op](x, o1);
      nat[op](x, o2);
      close(op, o2, o1);
      // Elementwise too, so the tiny negative tail is held to the same precision (the native
      // activations use their own vectorized exponential).
      for (let i = 0; i < x.length; i++) close(`${op}(${x[i]})`, [o2[i]!], [o1[i]!]);
    }
  });

  test('swiglu equals silu then mul bit for bit, and the reference', () => {
    const n = 40_003;
    const gate = new Float32Array(n);
    for (let i = 0; i < n; i++) gate[i] = -95 + (190 * i) / n;
    const up = randomArray(rand, n, 3);
    for (const k of [nat, ref]) {
      const s = new Float32Array(n);
      const want = new Float32Array(n);
      k.silu(gate, s);
      k.mul(s, up, want);
      const got = new Float32Array(n);
      k.swiglu(gate, up, got);
      assert.deepEqual(got, want, `${k.name}: swiglu differs from silu then mul`);
    }
    const o1 = new Float32Array(n);
    const o2 = unwritten(n);
    ref.swiglu(gate, up, o1);
    nat.swiglu(gate, up, o2);
    close('swiglu', o2, o1);
    assert.throws(() => nat.swiglu(gate, up.subarray(1), o2), /up holds/);
  });

  test('the vectorized exponential at the ends of its range (2^-126 to 2^128 before the scale)', () => {
    // silu(v) = v / (1 + e^-v) takes e^88.5 at v = -88.5, and softmax of [0, -d] takes e^-d down to the
    // smallest normal float (d = 87.3). Past those ends the kernels may give zero: silu's tail past
    // v = -88.5 (where e^-v is taken as infinite) and softmax results that are not normal floats.
    const x = new Float32Array(4001);
    for (let i = 0; i < x.length; i++) x[i] = -100 + (200 * i) / (x.length - 1);
    const near = (name: string, got: number, want: number, slack: number) =>
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.abs(want) + slack, `${name}: ${got} vs ${want}`);
    const s1 = new Float32Array(x.length);
    const s2 = unwritten(x.length);
    ref.silu(x, s1);
    nat.silu(x, s2);
    for (let i = 0; i < x.length; i++) near(`silu(${x[i]})`, s2[i]!, s1[i]!, x[i]! < -88.5 ? 1e-36 : 0);
    const rows = new Float32Array(2 * x.length);
    for (let i = 0; i < x.length; i++) rows[2 * i + 1] = -Math.abs(x[i]!);
    const p1 = new Float32Array(rows.length);
    const p2 = unwritten(rows.length);
    ref.softmax(rows, p1, x.length, 2);
    nat.softmax(rows, p2, x.length, 2);
    for (let i = 0; i < rows.length; i++) near(`softmax [0, ${rows[i | 1]}]`, p2[i]!, p1[i]!, 1.2e-38);
  });

  test('activation gradients over a wide range', () => {
    const x = new Float32Array(100_003);
    for (let i = 0; i < x.length; i++) x[i] = -12 + (24 * i) / x.length;
    const g = randomArray(rand, x.length);
    for (const op of ['siluGrad', 'geluTanhGrad', 'geluErfGrad'] as const) {
      const o1 = new Float32Array(x.length);
      const o2 = new Float32Array(x.length);
      ref[op](x, g, o1);
      nat[op](x, g, o2);
      close(op, o2, o1);
      // The negative tail on its own, so its tiny values are held to the same relative precision.
      close(`${op} for x < -4`, o2.subarray(0, 33_000), o1.subarray(0, 33_000));
    }
  });

  test('softmax with fully masked rows gives zeros, not NaN', () => {
    for (let trial = 0; trial < 15; trial++) {
      const rows = randomInt(rand, 1, 12);
      const cols = randomInt(rand, 1, 200);
      const x = randomArray(rand, rows * cols, 10);
      for (let j = 0; j < cols; j++) if (rand() < 0.3) x[j] = -Infinity;
      if (rows > 1) x.fill(-Infinity, cols, 2 * cols);
      const o1 = new Float32Array(x.length);
      const o2 = new Float32Array(x.length);
      ref.softmax(x, o1, rows, cols);
      nat.softmax(x, o2, rows, cols);
      assert.ok(!o2.some(Number.isNaN), 'softmax produced NaN');
      close('softmax', o2, o1);
    }
  });

  /** Random attention shapes (GQA), inputs and, on three trials in four, a mask with -Infinity entries and one fully masked row. */
  const attentionCase = (trial: number) => {
    const nKvHeads = randomInt(rand, 1, 3);
    const nHeads = nKvHeads * randomInt(rand, 1, 3);
    const headDim = randomInt(rand, 1, 33);
    const T = randomInt(rand, 1, 17);
    const S = T + randomInt(rand, 0, 40);
    const q = randomArray(rand, T * nHeads * headDim, 2);
    const k = randomArray(rand, S * nKvHeads * headDim, 2);
    const v = randomArray(rand, S * nKvHeads * headDim);
    const mask = trial % 4 !== 0 ? new Float32Array(T * S) : null;
    if (mask) {
      for (let i = 0; i < mask.length; i++) mask[i] = rand() < 0.35 ? -Infinity : rand() < 0.2 ? -3 * rand() : 0;
      if (T > 1) mask.fill(-Infinity, S, 2 * S);
    }
    return { nKvHeads, nHeads, headDim, T, S, q, k, v, mask };
  };

  test('attention with GQA, causal/tree/random masks and fully masked rows', () => {
    for (let trial = 0; trial < 40; trial++) {
      const { nKvHeads, nHeads, headDim, T, S, q, k, v, mask } = attentionCase(trial);
      const o1 = new Float32Array(T * nHeads * headDim);
      const o2 = unwritten(T * nHeads * headDim);
      ref.attention(q, k, v, mask, o1, T, S, nHeads, nKvHeads, headDim);
      nat.attention(q, k, v, mask, o2, T, S, nHeads, nKvHeads, headDim);
      assert.ok(!o2.some(Number.isNaN), 'attention produced NaN');
      close(`attention T=${T} S=${S} H=${nHeads}/${nKvHeads} d=${headDim}`, o2, o1);
    }
  });

  test('attention gradients with GQA, masks and fully masked rows', () => {
    for (let trial = 0; trial < 40; trial++) {
      const { nKvHeads, nHeads, headDim, T, S, q, k, v, mask } = attentionCase(trial);
      const g = randomArray(rand, T * nHeads * headDim);
      const grads = (kern: Kernels) => {
        // Stale values in the outputs must be overwritten, not added to.
        const out = [q.length, k.length, v.length].map((n) => new Float32Array(n).fill(7));
        kern.attentionGrad(q, k, v, mask, g, out[0]!, out[1]!, out[2]!, T, S, nHeads, nKvHeads, headDim);
        return out;
      };
      const [r, n] = [grads(ref), grads(nat)];
      ['dq', 'dk', 'dv'].forEach((name, i) => {
        assert.ok(!n[i]!.some(Number.isNaN), `attentionGrad ${name} has NaN`);
        close(`attentionGrad ${name} T=${T} S=${S} H=${nHeads}/${nKvHeads} d=${headDim}`, n[i]!, r[i]!);
      });
    }
  });

  test('embedding, argmax and topK agree exactly (ties to the lower index)', () => {
    const V = 301;
    const dim = 17;
    const table = randomArray(rand, V * dim);
    const ids = Int32Array.from({ length: 50 }, () => randomInt(rand, 0, V - 1));
    const e1 = new Float32Array(ids.length * dim);
    const e2 = unwritten(ids.length * dim);
    ref.embedding(table, ids, e1, dim);
    nat.embedding(table, ids, e2, dim);
    assert.deepEqual(e2, e1);
    for (let trial = 0; trial < 30; trial++) {
      const rows = randomInt(rand, 1, 6);
      const cols = randomInt(rand, 1, 700);
      // Coarse values make ties common.
      const x = Float32Array.from({ length: rows * cols }, () => Math.round(rand() * 20));
      const a1 = new Int32Array(rows);
      const a2 = new Int32Array(rows);
      ref.argmax(x, rows, cols, a1);
      nat.argmax(x, rows, cols, a2);
      assert.deepEqual(a2, a1);
      const row = x.subarray(0, cols);
      const k = randomInt(rand, 0, Math.min(cols, 64));
      const i1 = new Int32Array(k);
      const i2 = new Int32Array(k);
      const v1 = new Float32Array(k);
      const v2 = new Float32Array(k);
      ref.topK(row, k, i1, v1);
      nat.topK(row, k, i2, v2);
      assert.deepEqual(i2, i1);
      assert.deepEqual(v2, v1);
    }
  });

  test('16-bit storage conversions are bit-exact, every f16/bf16 pattern and f32 edge cases', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    for (const op of ['bf16ToF32', 'f16ToF32'] as const) {
      const o1 = new Float32Array(all.length);
      const o2 = new Float32Array(all.length);
      ref[op](all, o1);
      nat[op](all, o2);
      for (let i = 0; i < all.length; i++) {
        assert.ok(Object.is(o1[i], o2[i]) || (Number.isNaN(o1[i]) && Number.isNaN(o2[i])), `${op}(0x${i.toString(16)}): ${o2[i]} vs ${o1[i]}`);
      }
    }
    const specials = [0, -0, 1, -1, 65504, 65519, 65520, 1e-8, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 3.4e38, Infinity, -Infinity, NaN, 1 + 2 ** -8, 1 + 3 * 2 ** -8];
    const f = Float32Array.from([...specials, ...randomArray(rand, 20000, 70000), ...randomArray(rand, 20000, 1e-4)]);
    for (const op of ['f32ToBf16', 'f32ToF16'] as const) {
      const o1 = new Uint16Array(f.length);
      const o2 = new Uint16Array(f.length);
      ref[op](f, o1);
      nat[op](f, o2);
      for (let i = 0; i < f.length; i++) assert.equal(o2[i], o1[i], `${op}(${f[i]}): 0x${o2[i]!.toString(16)} vs 0x${o1[i]!.toString(16)}`);
    }
  });

  test('wrong buffer sizes throw instead of reading out of bounds', () => {
    const small = new Float32Array(3);
    assert.throws(() => nat.matmul(small, small, small, 2, 2, 2, false), /a holds 3 values, needs 4/);
    assert.throws(() => nat.embedding(small, Int32Array.of(5), new Float32Array(3), 3), /token id outside/);
    assert.throws(() => nat.softmax(new Int32Array(4) as unknown as Float32Array, small, 1, 3), /must be a Float32Array/);
  });
});
