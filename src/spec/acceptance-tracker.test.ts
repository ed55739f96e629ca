import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcceptanceTracker } from './acceptance-tracker.js';
import { growDraftTree } from './draft-tree.js';

/** A chain root -> a -> b -> c whose tokens are 1, 2, 3 (one candidate per depth). */
function chain() {
  return growDraftTree(0, { depth: 3, topK: 1, totalTokens: 4 }, (frontier, nodes) => frontier.map((i) => ({ tokens: [nodes[i]!.token + 1], logProbs: [0] })));
}

test('acceptance is tracked per action dimension, whatever depth of the tree decoded it', () => {
  const t = new AcceptanceTracker(7);
  const tree = chain();
  // Cycles starting at dimension 1 accept dimension 1 only; cycles starting at dimension 4 accept all three (4, 5, 6).
  for (let i = 0; i < 50; i++) {
    t.record(tree, [0, 1], 1);
    t.record(tree, [0, 1, 2, 3], 4);
  }
  const fromOne = t.estimates(1, 3);
  assert.ok(fromOne[0]![0]! > 0.9, `dimension 1 best-candidate acceptance ${fromOne[0]![0]}`);
  assert.ok(fromOne[1]![0]! < 0.1, `dimension 2 was rejected every time: ${fromOne[1]![0]}`);
  const fromFour = t.estimates(4, 3);
  assert.ok(fromFour.every((row) => row[0]! > 0.9));
  // The same depth, a different dimension: a per-depth tracker would mix these up.
  assert.notEqual(t.estimates(2, 1)[0]![0], t.estimates(5, 1)[0]![0]);
  // Untracked dimensions and unseen ones get the prior.
  assert.deepEqual(t.estimates(0, 1), t.estimates(9, 1));
  assert.equal(t.estimates(0, 1)[0]![0], 0.5);
});

test('a dimension needs evidence until it has been drafted 16 times, whatever the outcome', () => {
  const t = new AcceptanceTracker(7);
  const tree = chain();
  assert.ok(t.needsEvidence(2));
  for (let i = 0; i < 15; i++) t.record(tree, [0], 2);
  assert.ok(t.needsEvidence(2), 'rejections are evidence too, but 15 are not enough');
  t.record(tree, [0], 2);
  assert.ok(!t.needsEvidence(2));
  assert.ok(t.needsEvidence(3), 'a cycle rejected at its first depth says nothing of the next dimension');
});
