import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseTreeShape, expectedAccepted, exploreUnknownDepth, interpolateCost } from './tree-sizing.js';

const flat = new Map([[1, 1], [64, 1.05]]);
const linear = new Map([[1, 1], [64, 64]]);
const cheapDraft = new Map([[1, 0.05], [8, 0.06]]);

test('interpolateCost interpolates and extrapolates the measured curve', () => {
  assert.equal(interpolateCost(new Map([[1, 1], [4, 2], [16, 5]]), 10), 3.5);
  assert.equal(interpolateCost(new Map([[1, 1], [4, 2]]), 7), 3);
  assert.equal(interpolateCost(new Map([[1, 1], [4, 2]]), 0), 1);
});

test('expectedAccepted multiplies per-depth acceptance along the path', () => {
  const acc = [[0.5, 0.2], [0.5, 0.2]];
  assert.ok(Math.abs(expectedAccepted(acc, 2, 1) - (0.5 + 0.25)) < 1e-12);
  assert.ok(Math.abs(expectedAccepted(acc, 2, 2) - (0.7 + 0.49)) < 1e-12);
});

test('free verification and a good draft give a deep tree; verification as dear as decoding gives plain decoding', () => {
  const good = Array.from({ length: 6 }, () => [0.8, 0.1, 0.05, 0.02]);
  const deep = chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: good, maxDepth: 6 });
  // Five drafted levels: when all are accepted the bonus token is the sixth and last.
  assert.equal(deep.depth, 5);
  assert.ok(deep.tokensPerCost > 3);
  const none = chooseTreeShape({ targetCost: linear, draftCost: cheapDraft, acceptance: good, maxDepth: 6 });
  assert.equal(none.totalTokens, 1, 'with T-token verification costing T forwards no tree pays');
});

test('a draft that is never right is not used', () => {
  const bad = Array.from({ length: 6 }, () => [0, 0, 0]);
  assert.equal(chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: bad, maxDepth: 6 }).depth, 0);
});

test('wider trees are chosen when the draft ranks the right token lower', () => {
  const spread = Array.from({ length: 6 }, () => [0.3, 0.3, 0.3]);
  const shape = chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: spread, maxDepth: 4 });
  assert.ok(shape.topK >= 3, `topK ${shape.topK}`);
});

test('a tree that stops above a dimension without evidence is extended through it, and only then', () => {
  const chain3 = { depth: 3, topK: 1, totalTokens: 4 };
  // Depth 4 decodes a dimension never drafted: the chain goes one deeper to reach it.
  assert.deepEqual(exploreUnknownDepth(chain3, [false, false, false, true, false]), { depth: 4, topK: 1, totalTokens: 5 });
  // An unknown dimension the tree already reaches, or none at all: the sized tree stands.
  assert.deepEqual(exploreUnknownDepth(chain3, [false, true, false, true]), chain3);
  assert.deepEqual(exploreUnknownDepth(chain3, [false, false, false, false]), chain3);
  // No draft chosen and the next dimension unknown: one token is drafted (top-1).
  assert.deepEqual(exploreUnknownDepth({ depth: 0, topK: 1, totalTokens: 1 }, [true, true]), { depth: 1, topK: 1, totalTokens: 2 });
  // A wider tree keeps its width.
  assert.deepEqual(exploreUnknownDepth({ depth: 1, topK: 3, totalTokens: 4 }, [false, false, true]), { depth: 3, topK: 3, totalTokens: 10 });
});

test('sized for the rest of the action: the bonus token ends it, and the expected cost counts the cycles after this one', () => {
  const sure = Array.from({ length: 6 }, () => [1]);
  const one = chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: sure, maxDepth: 6, topKs: [1] });
  assert.equal(one.depth, 5);
  assert.ok(Math.abs(one.expectedCost - (interpolateCost(flat, 6) + 5 * interpolateCost(cheapDraft, 1))) < 1e-12);
  assert.equal(chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: sure, maxDepth: 2, topKs: [1] }).depth, 1);
  // A coin-flip draft at the first level, sure after it: with a cycle that fails at once the action
  // needs a second one, and the expected cost says so (half of the time, the cost of the 5 tokens left).
  const flip = [[0.5], ...Array.from({ length: 5 }, () => [1])];
  const shape = chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: flip, maxDepth: 6, topKs: [1] });
  const rest = chooseTreeShape({ targetCost: flat, draftCost: cheapDraft, acceptance: sure, maxDepth: 5, topKs: [1] }).expectedCost;
  assert.equal(shape.depth, 5);
  assert.ok(Math.abs(shape.expectedCost - (interpolateCost(flat, 6) + 5 * interpolateCost(cheapDraft, 1) + 0.5 * rest)) < 1e-12);
});
