import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { kernels, useBackend } from './backend.js';
import { nativeKernels } from './native.js';
import { attention, embedding, linear, matmul, resample, rmsNorm, softmax, topK } from './ops.js';
import { decode16, encode16 } from './storage.js';
import { Tensor } from './tensor.js';
import { relativeError } from './testing.js';
import { randomArray, seededRandom } from './random.js';

/** Shape checking and dispatch, on every backend that is available. */
const backends = (['reference', 'native'] as const).filter((b) => b === 'reference' || nativeKernels());
const initial = kernels().name;
after(() => useBackend(initial));

for (const backend of backends) {
  test(`[${backend}] ops check shapes and say what is wrong`, () => {
    useBackend(backend);
    const x = Tensor.zeros([2, 3]);
    assert.throws(() => matmul(x, Tensor.zeros([4, 5])), /matmul: cannot multiply \[2, 3\] by \[4, 5\]/);
    assert.throws(() => linear(x, Tensor.zeros([5, 4])), /linear: input \[2, 3\] does not match weight \[5, 4\]/);
    assert.throws(() => rmsNorm(x, Tensor.zeros([2]), 1e-6), /rmsNorm/);
    assert.throws(() => embedding(Tensor.zeros([10, 4]), [3, 10]), /token id 10 outside vocabulary of 10/);
    assert.throws(() => attention(x, x, x, Tensor.zeros([2, 3]), { nHeads: 1, nKvHeads: 1 }), /mask \[2, 3\] is not \[2, 2\]/);
    assert.throws(() => attention(Tensor.zeros([1, 4]), Tensor.zeros([3, 4]), Tensor.zeros([3, 4]), null, { nHeads: 3, nKvHeads: 2 }), /not a multiple/);
    assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /needs 6 values, got 5/);
    const taps = { first: Int32Array.from([0, 2]), weights: new Float32Array(4), taps: 2 };
    assert.throws(() => resample(x, 1, taps), /expected an image \[H, W, 3\], got \[2, 3\]/);
    assert.throws(() => resample(Tensor.zeros([4, 3, 3]), 1, taps), /a tap window reaches past the 3 input samples/);
    assert.deepEqual(resample(Tensor.zeros([4, 3, 3]), 0, taps).shape, [2, 3, 3]);
  });

  test(`[${backend}] linear, softmax, topK and 16-bit storage through the tensor API`, () => {
    useBackend(backend);
    const rand = seededRandom(99);
    const x = new Tensor(randomArray(rand, 3 * 8), [3, 8]);
    const w = new Tensor(randomArray(rand, 5 * 8), [5, 8]);
    const b = new Tensor(randomArray(rand, 5), [5]);
    const y = linear(x, w, b);
    assert.deepEqual(y.shape, [3, 5]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 5; j++) {
        let s = b.data[j]!;
        for (let k = 0; k < 8; k++) s += x.data[i * 8 + k]! * w.data[j * 8 + k]!;
        assert.ok(Math.abs(y.data[i * 5 + j]! - s) < 1e-5);
      }
    const p = softmax(Tensor.from([0, Math.log(3), -Infinity, -Infinity], [2, 2]));
    assert.deepEqual([...p.data].map((v) => Math.round(v * 1e6) / 1e6), [0.25, 0.75, 0, 0]);
    const { indices, values } = topK(Tensor.from([1, 5, 3, 5, 2], [5]), 3);
    assert.deepEqual([...indices], [1, 3, 2]);
    assert.deepEqual([...values], [5, 5, 3]);
    const t = new Tensor(randomArray(rand, 64, 100), [8, 8]);
    assert.ok(relativeError(decode16(encode16(t, 'BF16'), 'BF16', [8, 8]).data, t.data) < 2 ** -8);
    assert.ok(relativeError(decode16(encode16(t, 'F16'), 'F16', [8, 8]).data, t.data) < 2 ** -11);
  });
  test(`[${backend}] linear: the first bf16Rows rows in bf16 (rounded input and weight), the rest in f32`, () => {
    useBackend(backend);
    const rand = seededRandom(7);
    const x = new Tensor(randomArray(rand, 20 * 33), [20, 33]);
    const w = new Tensor(randomArray(rand, 9 * 33), [9, 33]);
    const b = new Tensor(randomArray(rand, 9), [9]);
    const round = (t: Tensor) => decode16(encode16(t, 'BF16'), 'BF16', t.shape);
    const f32 = linear(x, w, b);
    const low = linear(round(x), round(w), b);
    const mixed = linear(x, w, b, { bf16Rows: 12 });
    assert.ok(relativeError(mixed.data.subarray(0, 12 * 9), low.data.subarray(0, 12 * 9)) < 1e-5);
    assert.deepEqual(mixed.data.subarray(12 * 9), linear(x.slice(12, 20), w, b).data);
    // The rounding is real: bf16 keeps 8 significant bits, so these rows part from f32 by about 1e-3.
    assert.ok(relativeError(mixed.data.subarray(0, 12 * 9), f32.data.subarray(0, 12 * 9)) > 1e-4);
    assert.deepEqual(linear(x, w, b, { bf16Rows: 20 }).data, linear(x, w, b, { bf16Rows: 99 }).data);
  });
  test(`[${backend}] linear: a frozen weight's few-row products (panels) equal the plain product, and a row does not depend on its neighbours`, () => {
    useBackend(backend);
    const rand = seededRandom(8);
    const w = new Tensor(randomArray(rand, 37 * 70), [37, 70]);
    const b = new Tensor(randomArray(rand, 37), [37]);
    const x = new Tensor(randomArray(rand, 260 * 70), [260, 70]);
    for (const M of [1, 2, 3, 5, 8, 11, 16, 19, 32, 33, 40, 64, 200, 256, 257]) {
      const rows = x.slice(0, M);
      const frozen = linear(rows, w, b, { frozen: true });
      assert.ok(relativeError(frozen.data, linear(rows, w, b).data) < 1e-5, `M=${M}`);
      // Rows 1..256 run on matmulPanels, where each output sums k in order: a row alone is bit-identical to that row in a 256-row product.
      if (M <= 256) assert.deepEqual(frozen.data.subarray(0, 37), linear(x.slice(0, 2), w, b, { frozen: true }).data.subarray(0, 37));
    }
    // The bf16 rows and the f32 rows after them split one product as before.
    const mixed = linear(x.slice(0, 10), w, b, { bf16Rows: 4, frozen: true });
    assert.ok(relativeError(mixed.data.subarray(4 * 37), linear(x.slice(4, 10), w, b).data) < 1e-5);
  });
}

test('views share the buffer; slices and reshapes check their bounds', () => {
  const t = Tensor.from([1, 2, 3, 4, 5, 6], [3, 2]);
  const s = t.slice(1, 3);
  s.data[0] = 30;
  assert.equal(t.data[2], 30);
  assert.deepEqual(s.shape, [2, 2]);
  assert.throws(() => t.slice(2, 4), /out of range/);
  assert.throws(() => t.reshape([4, 2]), /needs 8 values/);
  assert.equal(t.reshape([6]).rows, 1);
});
