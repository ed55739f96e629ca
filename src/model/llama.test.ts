import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxAbsDiff, randomInt, seededRandom } from '../ops/testing.js';
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
  const small = new KvCache(cfg.nLayers, model.kvWidth, 2);
  assert.throws(() => model.forward(model.embed([1, 2, 3]), range(0, 3), causalMask(0, 3), small), /exceed the capacity of 2/);
  assert.throws(() => cache.keep([2, 1]), /indices must increase/);
});
