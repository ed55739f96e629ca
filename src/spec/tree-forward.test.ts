import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxAbsDiff } from '../ops/testing.js';
import { randomInt, seededRandom } from '../ops/random.js';
import { causalMask, KvCache, LlamaModel, randomSource, type LlamaConfig } from '../model/index.js';
import { DraftTree } from './draft-tree.js';

/** The target model under DraftTree masks: what tree verification relies on. */
const cfg: LlamaConfig = { vocabSize: 50, hidden: 16, intermediate: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, ropeTheta: 10000, eps: 1e-6 };
const model = LlamaModel.load(randomSource(1), 'language_model.', cfg);
const newCache = () => new KvCache(cfg.nLayers, model.kvWidth, 128);
const range = (from: number, n: number) => Int32Array.from({ length: n }, (_, i) => from + i);

function randomTree(rand: () => number, size: number): DraftTree {
  const nodes = [{ token: randomInt(rand, 0, cfg.vocabSize - 1), parent: -1, depth: 0, score: 0 }];
  for (let i = 1; i < size; i++) {
    const parent = randomInt(rand, 0, i - 1);
    nodes.push({ token: randomInt(rand, 0, cfg.vocabSize - 1), parent, depth: nodes[parent]!.depth + 1, score: 0 });
  }
  return new DraftTree(nodes);
}

test('a tree forward under its tree mask equals running each root-to-leaf path on its own', () => {
  const rand = seededRandom(3);
  for (let trial = 0; trial < 8; trial++) {
    const prefix = Array.from({ length: randomInt(rand, 1, 6) }, () => randomInt(rand, 0, cfg.vocabSize - 1));
    const tree = randomTree(rand, randomInt(rand, 1, 12));
    const P = prefix.length;
    const cache = newCache();
    model.forward(model.embed(prefix), range(0, P), causalMask(0, P), cache);
    const out = model.forward(model.embed(tree.tokens()), tree.positions(P), tree.mask(P), cache);
    for (const path of tree.paths()) {
      const alone = newCache();
      model.forward(model.embed(prefix), range(0, P), causalMask(0, P), alone);
      const tokens = path.map((i) => tree.nodes[i]!.token);
      const ref = model.forward(model.embed(tokens), range(P, path.length), causalMask(P, path.length), alone);
      path.forEach((node, j) => {
        assert.ok(maxAbsDiff(out.logits.slice(node, node + 1).data, ref.logits.slice(j, j + 1).data) < 1e-4, `trial ${trial} node ${node}`);
      });
    }
  }
});

test('keep() after a tree forward leaves a cache that continues like one built from the path alone', () => {
  const rand = seededRandom(4);
  for (let trial = 0; trial < 8; trial++) {
    const prefix = Array.from({ length: randomInt(rand, 1, 6) }, () => randomInt(rand, 0, cfg.vocabSize - 1));
    const P = prefix.length;
    const tree = randomTree(rand, randomInt(rand, 2, 12));
    const paths = tree.paths();
    const path = paths[randomInt(rand, 0, paths.length - 1)]!;
    const cache = newCache();
    model.forward(model.embed(prefix), range(0, P), causalMask(0, P), cache);
    model.forward(model.embed(tree.tokens()), tree.positions(P), tree.mask(P), cache);
    cache.keep([...range(0, P), ...path.map((i) => P + i)]);
    const next = [randomInt(rand, 0, cfg.vocabSize - 1), randomInt(rand, 0, cfg.vocabSize - 1)];
    const L = P + path.length;
    const cont = model.forward(model.embed(next), range(L, 2), causalMask(L, 2), cache);
    const fresh = newCache();
    const seq = [...prefix, ...path.map((i) => tree.nodes[i]!.token), ...next];
    const ref = model.forward(model.embed(seq), range(0, seq.length), causalMask(0, seq.length), fresh);
    assert.ok(maxAbsDiff(cont.logits.data, ref.logits.slice(L, L + 2).data) < 1e-4, `trial ${trial}`);
  }
});

