import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../ops/index.js';
import { maxAbsDiff } from '../ops/testing.js';
import { randomInt, seededRandom } from '../ops/random.js';
import { KvCache } from './kv-cache.js';
import { causalMask, LlamaModel, type LlamaConfig } from './llama.js';
import { randomSource } from './random-weights.js';

const cfg: LlamaConfig = { vocabSize: 50, hidden: 16, intermediate: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, ropeTheta: 10000, eps: 1e-6 };

const model = LlamaModel.load(randomSource(1), 'language_model.', cfg);
const newCache = () => new KvCache(cfg.nLayers, model.kvWidth, 128);
const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);

test('incremental decoding with the KV cache equals a full recompute', () => {
  const rand = seededRandom(2);
  const tokens = Array.from({ length: 12 }, () => randomInt(rand, 0, cfg.vocabSize - 1));
  const full = model.forward(model.embed(tokens), range(0, 12), causalMask(0, 12), newCache());
  const cache = newCache();
  const pre = model.forward(model.embed(tokens.slice(0, 5)), range(0, 5), causalMask(0, 5), cache);
  assert.ok(maxAbsDiff(pre.logits.data, full.logits.slice(0, 5).data) < 1e-4);
  for (let i = 5; i < 12; i++) {
    const step = model.forward(model.embed([tokens[i]!]), range(i, 1), causalMask(i, 1), cache);
    assert.ok(maxAbsDiff(step.logits.data, full.logits.slice(i, i + 1).data) < 1e-4, `position ${i}`);
    assert.ok(maxAbsDiff(step.hidden.data, full.hidden.slice(i, i + 1).data) < 1e-4);
  }
  const last = model.forward(model.embed(tokens), range(0, 12), causalMask(0, 12), newCache(), { logits: 'last' });
  assert.ok(maxAbsDiff(last.logits.data, full.logits.slice(11, 12).data) < 1e-6);
});

test('truncate() rolls the cache back; bad masks and overflows are refused', () => {
  const cache = newCache();
  const a = model.forward(model.embed([1, 2, 3]), range(0, 3), causalMask(0, 3), cache);
  cache.truncate(2);
  const b = model.forward(model.embed([3]), range(2, 1), causalMask(2, 1), cache);
  assert.ok(maxAbsDiff(a.logits.slice(2, 3).data, b.logits.data) < 1e-4);
  assert.throws(() => model.forward(model.embed([1]), range(3, 1), causalMask(0, 1), cache), /mask is \[1, 1\], expected \[1, 4\]/);
  assert.throws(() => model.forward(model.embed([1, 2]), range(3, 1), causalMask(3, 2), cache), /1 positions for 2 tokens/);
  const small = new KvCache(cfg.nLayers, model.kvWidth, 2);
  assert.throws(() => model.forward(model.embed([1, 2, 3]), range(0, 3), causalMask(0, 3), small), /exceed the capacity of 2/);
  assert.throws(() => cache.keep([2, 1]), /indices must increase/);
});

/**
 * A token tree after a committed prefix of P entries: node i has parent parents[i] (-1 for the
 * root) and parents come before children. Each node sees the prefix, its ancestors and itself, at
 * position P + depth.
 */
function treeInputs(P: number, parents: number[]): { mask: Float32Array; positions: Int32Array } {
  const T = parents.length;
  const mask = new Float32Array(T * (P + T)).fill(-Infinity);
  const positions = new Int32Array(T);
  for (let i = 0; i < T; i++) {
    mask.fill(0, i * (P + T), i * (P + T) + P);
    let depth = 0;
    for (let j = i; j >= 0; j = parents[j]!, depth++) mask[i * (P + T) + P + j] = 0;
    positions[i] = P + depth - 1;
  }
  return { mask, positions };
}

const prefixTokens = [3, 14, 15, 9, 26, 5];
const P = prefixTokens.length;
// Root 0; 1 and 2 under it; 3, 4 under 1; 5 under 2; 6 under 5. Leaves: 3, 4, 6.
const parents = [-1, 0, 0, 1, 1, 2, 5];
const nodeTokens = [7, 11, 12, 40, 41, 33, 2];
const paths = [
  [0, 1, 3],
  [0, 1, 4],
  [0, 2, 5, 6],
];

function prefilled() {
  const cache = newCache();
  model.forward(model.embed(prefixTokens), range(0, P), causalMask(0, P), cache);
  return cache;
}

test('a forward of a token tree under its tree mask equals running each root-to-leaf path on its own', () => {
  const cache = prefilled();
  const { mask, positions } = treeInputs(P, parents);
  const tree = model.forward(model.embed(nodeTokens), positions, new Tensor(mask, [parents.length, P + parents.length]), cache);
  assert.equal(cache.length, P + parents.length);
  for (const path of paths) {
    const alone = model.forward(model.embed(path.map((n) => nodeTokens[n]!)), range(P, path.length), causalMask(P, path.length), prefilled());
    path.forEach((node, depth) => {
      assert.ok(maxAbsDiff(tree.logits.slice(node, node + 1).data, alone.logits.slice(depth, depth + 1).data) < 1e-4, `path ${path}, node ${node}: logits`);
      assert.ok(maxAbsDiff(tree.hidden.slice(node, node + 1).data, alone.hidden.slice(depth, depth + 1).data) < 1e-4, `path ${path}, node ${node}: hidden`);
    });
  }
  // The mask matters: a sibling's logits differ from its brother's at the same depth.
  assert.ok(maxAbsDiff(tree.logits.slice(3, 4).data, tree.logits.slice(4, 5).data) > 1e-3);
});

test('keep() after a tree forward leaves a cache that continues exactly like one built from the accepted path alone', () => {
  for (const path of paths) {
    const cache = prefilled();
    const { mask, positions } = treeInputs(P, parents);
    model.forward(model.embed(nodeTokens), positions, new Tensor(mask, [parents.length, P + parents.length]), cache);
    cache.keep([...range(0, P), ...path.map((n) => P + n)]);
    assert.equal(cache.length, P + path.length);

    const reference = prefilled();
    model.forward(model.embed(path.map((n) => nodeTokens[n]!)), range(P, path.length), causalMask(P, path.length), reference);
    const next = [17, 23];
    const at = P + path.length;
    const a = model.forward(model.embed(next), range(at, 2), causalMask(at, 2), cache);
    const b = model.forward(model.embed(next), range(at, 2), causalMask(at, 2), reference);
    assert.ok(maxAbsDiff(a.logits.data, b.logits.data) < 1e-5, `path ${path}`);
    assert.ok(maxAbsDiff(a.hidden.data, b.hidden.data) < 1e-5, `path ${path}`);
  }
});
