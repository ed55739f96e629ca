import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomInt, seededRandom } from '../ops/random.js';
import { DraftTree, growDraftTree, type Proposal } from './draft-tree.js';
import { StrictAcceptance } from './strict-acceptance.js';
import { verifyTree } from './verify-tree.js';

/** A draft that proposes random distinct tokens with random log-probabilities, sorted best first. */
function randomDraft(seed: number): (frontier: readonly number[]) => Proposal[] {
  const rand = seededRandom(seed);
  return (frontier) =>
    frontier.map(() => {
      const tokens = Array.from({ length: 10 }, (_, i) => 100 + i * 3 + randomInt(rand, 0, 2));
      const logProbs = tokens.map(() => Math.log(rand())).sort((a, b) => b - a);
      return { tokens, logProbs };
    });
}

test('grown trees respect their shape, are closed under ancestry, and keep the best-scored nodes', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = seededRandom(seed);
    const shape = { depth: randomInt(rand, 0, 6), topK: randomInt(rand, 1, 8), totalTokens: randomInt(rand, 1, 60) };
    const tree = growDraftTree(7, shape, randomDraft(seed));
    assert.ok(tree.size <= shape.totalTokens, 'too many nodes');
    assert.ok(tree.maxDepth <= shape.depth, 'too deep');
    assert.equal(tree.nodes[0]!.token, 7);
    tree.nodes.forEach((n, i) => {
      if (i === 0) return;
      const p = tree.nodes[n.parent]!;
      assert.ok(n.parent < i, 'parents come first');
      assert.equal(n.depth, p.depth + 1);
      assert.ok(n.score <= p.score, 'scores fall along a path');
    });
  }
});

test('a chain (topK 1) is a single path of the draft’s best tokens', () => {
  const tree = growDraftTree(5, { depth: 4, topK: 1, totalTokens: 10 }, (f) => f.map(() => ({ tokens: [42], logProbs: [-0.1] })));
  assert.equal(tree.size, 5);
  assert.deepEqual(tree.paths(), [[0, 1, 2, 3, 4]]);
  assert.deepEqual([...tree.tokens()], [5, 42, 42, 42, 42]);
});

test('mask lets each node see the prefix, its ancestors and itself only; positions follow depth', () => {
  const tree = new DraftTree([
    { token: 1, parent: -1, depth: 0, score: 0 },
    { token: 2, parent: 0, depth: 1, score: -1 },
    { token: 3, parent: 0, depth: 1, score: -2 },
    { token: 4, parent: 1, depth: 2, score: -3 },
  ]);
  const past = 3;
  const m = tree.mask(past);
  const visible = (i: number) => [...m.data.subarray(i * 7, i * 7 + 7)].map((x) => (x === 0 ? 1 : 0)).join('');
  assert.equal(visible(0), '1111000');
  assert.equal(visible(1), '1111100');
  assert.equal(visible(2), '1111010');
  assert.equal(visible(3), '1111101');
  assert.deepEqual([...tree.positions(past)], [3, 4, 4, 5]);
  assert.deepEqual(tree.paths(), [[0, 2], [0, 1, 3]]);
});

test('verifyTree takes the longest accepted path, the first on ties, and the greedy bonus after it', () => {
  const tree = new DraftTree([
    { token: 1, parent: -1, depth: 0, score: 0 },
    { token: 2, parent: 0, depth: 1, score: -1 },
    { token: 3, parent: 0, depth: 1, score: -2 },
    { token: 4, parent: 1, depth: 2, score: -3 },
    { token: 5, parent: 2, depth: 2, score: -3 },
  ]);
  const strict = new StrictAcceptance();
  // Target: after root -> 3, after node 2 (token 3) -> 5, after node 4 (token 5) -> 9.
  const v = verifyTree(tree, Int32Array.of(3, 0, 5, 0, 9), strict, 0);
  assert.deepEqual(v, { path: [0, 2, 4], accepted: [3, 5], bonus: 9 });
  // Nothing accepted: the bonus is the target's token after the root.
  assert.deepEqual(verifyTree(tree, Int32Array.of(8, 0, 0, 0, 0), strict, 0), { path: [0], accepted: [], bonus: 8 });
  // Both depth-1 children accepted by a policy that accepts anything: the first longest path wins.
  assert.deepEqual(verifyTree(tree, Int32Array.of(0, 6, 7, 0, 0), { name: 'any', accepts: () => true }, 0).path, [0, 1, 3]);
});

test('withBranch adds a free path, sharing the prefix already in the tree', () => {
  const tree = new DraftTree([
    { token: 1, parent: -1, depth: 0, score: 0 },
    { token: 2, parent: 0, depth: 1, score: -1 },
    { token: 3, parent: 1, depth: 2, score: -2 },
  ]);
  const more = tree.withBranch([2, 5, 6]);
  assert.equal(more.size, 5);
  assert.deepEqual(more.paths(), [[0, 1, 2], [0, 1, 3, 4]]);
  assert.deepEqual([...more.tokens()], [1, 2, 3, 5, 6]);
  assert.deepEqual([...more.positions(10)], [10, 11, 12, 12, 13]);
  assert.equal(tree.withBranch([2, 3]).size, 3, 'a branch already present adds nothing');
});
