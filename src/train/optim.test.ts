import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor, Var } from '../ops/index.js';
import { AdamW, clipGradNorm, warmupCosine } from './optim.js';

test('AdamW: first step moves each weight by lr·sign(g), decay is decoupled', () => {
  const p = Var.param(Tensor.from([1, -2, 3], [3]));
  p.grad = Tensor.from([0.5, -4, 0], [3]);
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.01 });
  opt.update();
  // Step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g|+eps); decay multiplies by (1 - lr·wd) first.
  const want = [1 * 0.999 - 0.1, -2 * 0.999 + 0.1, 3 * 0.999];
  want.forEach((w, i) => assert.ok(Math.abs(p.value.data[i]! - w) < 1e-6, `${p.value.data[i]} vs ${w}`));
  assert.equal(p.grad, null);
});

test('AdamW state round-trips so a resumed run continues identically', () => {
  const run = (resumeAt: number | null): Float32Array => {
    const p = Var.param(Tensor.from([0.3, -0.7], [2]));
    let opt = new AdamW([p], { lr: 0.05 });
    for (let s = 0; s < 6; s++) {
      if (s === resumeAt) {
        const saved = structuredClone(opt.state());
        opt = new AdamW([p], { lr: 0.05 });
        opt.load(saved);
      }
      p.grad = Tensor.from([p.value.data[0]! * 2, Math.sin(p.value.data[1]!)], [2]);
      opt.update();
    }
    return p.value.data;
  };
  assert.deepEqual(run(3), run(null));
});

test('clipGradNorm scales to the bound and reports the norm before', () => {
  const a = Var.param(Tensor.zeros([2]));
  const b = Var.param(Tensor.zeros([1]));
  a.grad = Tensor.from([3, 0], [2]);
  b.grad = Tensor.from([4], [1]);
  assert.equal(clipGradNorm([a, b], 0.5), 5);
  assert.ok(Math.abs(Math.hypot(a.grad.data[0]!, b.grad.data[0]!) - 0.5) < 1e-6);
  assert.ok(Math.abs(clipGradNorm([a, b], 10) - 0.5) < 1e-6);
});

test('warmupCosine: ramps up, peaks, ends at the floor', () => {
  assert.ok(Math.abs(warmupCosine(0, 1, 10, 100) - 0.1) < 1e-12);
  assert.equal(warmupCosine(9, 1, 10, 100), 1);
  assert.equal(warmupCosine(10, 1, 10, 100), 1);
  assert.ok(Math.abs(warmupCosine(100, 1, 10, 100) - 0.1) < 1e-12);
  assert.ok(warmupCosine(50, 1, 10, 100) < 1 && warmupCosine(50, 1, 10, 100) > 0.1);
});
