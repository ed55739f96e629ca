import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Tape, Var } from './autograd.js';
import { kernels, useBackend } from './backend.js';
import { nativeKernels } from './native.js';
import { Tensor } from './tensor.js';
import { randomArray, seededRandom } from './random.js';

/**
 * Every differentiable op's gradient against central finite differences of a random projection of
 * its output, on both backends. Float32 forwards limit the precision of the differences, so the
 * comparison is relative to the gradient's largest entry.
 */
const backends = (['reference', 'native'] as const).filter((b) => b === 'reference' || nativeKernels());
const initial = kernels().name;
after(() => useBackend(initial));

type Build = (tape: Tape, inputs: Var[]) => Var;

function gradCheck(name: string, shapes: number[][], build: Build, seed: number, tol = 5e-4): void {
  const rand = seededRandom(seed);
  const values = shapes.map((s) => new Tensor(randomArray(rand, s.reduce((a, b) => a * b, 1)), s));
  let projection: Tensor | undefined;
  const evaluate = (withGrad: boolean): { loss: number; inputs: Var[] } => {
    const tape = new Tape();
    const inputs = values.map((v) => (withGrad ? Var.param(v) : tape.constant(v)));
    const out = build(tape, inputs);
    const scalar = out.value.size === 1;
    projection ??= scalar ? Tensor.from([1], [1]) : new Tensor(randomArray(seededRandom(seed + 1), out.value.size), out.shape);
    const loss = scalar ? out : tape.dot(out, projection);
    if (withGrad) tape.backward(loss);
    return { loss: loss.value.data[0]!, inputs };
  };
  const { inputs } = evaluate(true);
  const eps = 1e-2;
  inputs.forEach((input, k) => {
    const analytic = input.grad?.data ?? new Float32Array(input.value.size);
    const scaleRef = Math.max(1e-3, ...Array.from(analytic, Math.abs));
    const x = values[k]!.data;
    const n = Math.min(x.length, 40);
    for (let c = 0; c < n; c++) {
      const i = Math.floor((c * x.length) / n);
      const keep = x[i]!;
      x[i] = keep + eps;
      const up = evaluate(false).loss;
      x[i] = keep - eps;
      const down = evaluate(false).loss;
      x[i] = keep;
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]!) / scaleRef;
      assert.ok(err < tol, `${name}: input ${k}[${i}] analytic ${analytic[i]} vs numeric ${numeric} (rel ${err.toExponential(2)})`);
    }
  });
}

for (const backend of backends) {
  test(`[${backend}] gradients match finite differences for every op`, () => {
    useBackend(backend);
    gradCheck('linear', [[3, 5], [4, 5], [4]], (t, [x, w, b]) => t.linear(x!, w!, b), 1);
    gradCheck('add (broadcast)', [[3, 4], [4]], (t, [a, b]) => t.add(a!, b!), 2);
    gradCheck('mul (broadcast)', [[3, 4], [4]], (t, [a, b]) => t.mul(a!, b!), 3);
    gradCheck('mul (same shape)', [[3, 4], [3, 4]], (t, [a, b]) => t.mul(a!, b!), 4);
    gradCheck('scale', [[5]], (t, [a]) => t.scale(a!, -2.5), 5);
    gradCheck('rmsNorm', [[3, 6], [6]], (t, [x, w]) => t.rmsNorm(x!, w!, 1e-5), 6);
    gradCheck('layerNorm', [[3, 6], [6], [6]], (t, [x, w, b]) => t.layerNorm(x!, w!, b!, 1e-5), 7);
    gradCheck('rope', [[3, 8]], (t, [x]) => t.rope(x!, Int32Array.of(0, 5, 17), 4, 10000), 8);
    gradCheck('silu', [[10]], (t, [x]) => t.silu(t.scale(x!, 3)), 9);
    gradCheck('gelu erf', [[10]], (t, [x]) => t.gelu(t.scale(x!, 3), 'erf'), 10);
    gradCheck('gelu tanh', [[10]], (t, [x]) => t.gelu(t.scale(x!, 3), 'tanh'), 11);
    const mask = Tensor.from([0, 0, -Infinity, -Infinity, 0, -Infinity, 0, 0, 0, -Infinity, 0, 0, 0, -1, 0], [3, 5]);
    gradCheck('attention (GQA, tree mask)', [[3, 8], [5, 4], [5, 4]], (t, [q, k, v]) => t.attention(q!, k!, v!, mask, { nHeads: 2, nKvHeads: 1 }), 12);
    gradCheck('attention (no mask)', [[2, 6], [4, 6], [4, 6]], (t, [q, k, v]) => t.attention(q!, k!, v!, null, { nHeads: 3, nKvHeads: 3 }), 13);
    gradCheck('embedding (repeated ids)', [[6, 3]], (t, [e]) => t.embedding(e!, [1, 4, 1]), 14);
    gradCheck('sliceRows of a vector', [[6]], (t, [a]) => t.sliceRows(a!, 2, 5), 20);
    gradCheck('overlapping slices and lookups of one var add up', [[3, 4]], (t, [a]) => t.concatRows([t.sliceRows(a!, 0, 2), t.sliceRows(a!, 1, 3), t.embedding(a!, [2, 0, 2])]), 16);
    gradCheck('concatRows + sliceRows + reshape', [[2, 3], [1, 3]], (t, [a, b]) => t.reshape(t.sliceRows(t.concatRows([a!, b!]), 1, 3), [6]), 15);
    gradCheck('crossEntropy (ignored row)', [[3, 7]], (t, [x]) => t.crossEntropy(x!, Int32Array.of(2, -1, 6)), 16);
    const target = Tensor.from([0.2, 0.5, 0.3, 0, 1, 0, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0], [3, 4]);
    gradCheck('softCrossEntropy', [[3, 4]], (t, [x]) => t.softCrossEntropy(x!, target, [true, false, true]), 17);
    const y = new Tensor(randomArray(seededRandom(99), 8, 2), [2, 4]);
    gradCheck('smoothL1 (both branches)', [[2, 4]], (t, [x]) => t.smoothL1(t.scale(x!, 2), y), 18);
    gradCheck('weightedSum of losses', [[2, 4]], (t, [x]) => t.weightedSum([[t.smoothL1(x!, y), 1], [t.crossEntropy(x!, Int32Array.of(1, 3)), 0.1]]), 19);
  });
}

test('a small model trains: loss falls when following the gradient', () => {
  const rand = seededRandom(5);
  const w = Var.param(new Tensor(randomArray(rand, 4 * 3), [4, 3]));
  const x = new Tensor(randomArray(rand, 8 * 3), [8, 3]);
  const targets = Int32Array.from({ length: 8 }, (_, i) => i % 4);
  const lossAt = (): number => {
    const tape = new Tape();
    const loss = tape.crossEntropy(tape.linear(tape.constant(x), w), targets);
    tape.backward(loss);
    return loss.value.data[0]!;
  };
  const first = lossAt();
  for (let i = 0; i < 50; i++) {
    for (let j = 0; j < w.value.size; j++) w.value.data[j] -= 0.5 * w.grad!.data[j]!;
    w.grad = null;
    lossAt();
  }
  assert.ok(lossAt() < first * 0.8, `loss did not fall: ${first} -> ${lossAt()}`);
});
