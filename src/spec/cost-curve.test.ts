import assert from 'node:assert/strict';
import { test } from 'node:test';
import { medianCurves, type CostCurves } from './cost-curve.js';

const curve = (target: number[], draft: number[], ms: number, draftPrefill = 1): CostCurves => ({
  target: new Map(target.map((v, i) => [2 ** i, v])),
  draft: new Map(draft.map((v, i) => [2 ** i, v])),
  draftPrefill,
  targetStepMs: ms,
});

test('medianCurves: one measurement hit by a burst of load does not move the curve', () => {
  const quiet = curve([1, 1, 1.05, 1.3], [0.15, 0.16], 1.2, 0.9);
  const quiet2 = curve([1, 1.01, 1.06, 1.35], [0.16, 0.16], 1.25, 1);
  const burst = curve([1, 0.6, 3, 0.9], [0.5, 0.1], 4, 3);
  const m = medianCurves([quiet, burst, quiet2]);
  assert.deepEqual([...m.target], [[1, 1], [2, 1], [4, 1.06], [8, 1.3]]);
  assert.deepEqual([...m.draft], [[1, 0.16], [2, 0.16]]);
  assert.equal(m.targetStepMs, 1.25);
  assert.equal(m.draftPrefill, 1);
  // Two measurements: the mean of the two; never decreasing in the token count.
  const two = medianCurves([quiet, burst]);
  assert.ok(Math.abs(two.target.get(4)! - 2.025) < 1e-12);
  assert.equal(two.target.get(8), two.target.get(4), 'monotone: 8 tokens cost at least what 4 do');
  assert.throws(() => medianCurves([]), /no curves/);
});
