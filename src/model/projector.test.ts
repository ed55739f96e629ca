import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gelu, linear, Tensor } from '../ops/index.js';
import { maxAbsDiff } from '../ops/testing.js';
import { randomArray, seededRandom } from '../ops/random.js';
import type { TensorSource } from './llama.js';
import { Projector } from './projector.js';

const rand = seededRandom(11);
/** fc1 of width 40 (not the LLM width), as Prismatic's fused projector uses 4x the vision width. */
const weights = new Map<string, Tensor>([
  ['p.fc1.weight', new Tensor(randomArray(rand, 40 * 10, 0.5), [40, 10])],
  ['p.fc1.bias', new Tensor(randomArray(rand, 40, 0.5), [40])],
  ['p.fc2.weight', new Tensor(randomArray(rand, 8 * 40, 0.5), [8, 40])],
  ['p.fc2.bias', new Tensor(randomArray(rand, 8, 0.5), [8])],
  ['p.fc3.weight', new Tensor(randomArray(rand, 8 * 8, 0.5), [8, 8])],
  ['p.fc3.bias', new Tensor(randomArray(rand, 8, 0.5), [8])],
]);
const get: TensorSource = (name, shape) => {
  const t = weights.get(name);
  if (!t) throw new Error(`tensor ${name} is missing`);
  if (t.shape.join() !== shape.join()) throw new Error(`tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
  return t;
};
const shapeOf = (name: string) => weights.get(name)?.shape;
const features = new Tensor(randomArray(rand, 3 * 10, 1), [3, 10]);
const w = (n: string) => weights.get(`p.${n}`)!;

test('fused projector: fc1 -> GELU -> fc2 -> GELU -> fc3, hidden width read from the checkpoint', () => {
  const out = Projector.load(get, 'p.', 10, 8, true, shapeOf).forward(features);
  const expected = linear(gelu(linear(gelu(linear(features, w('fc1.weight'), w('fc1.bias')), 'erf'), w('fc2.weight'), w('fc2.bias')), 'erf'), w('fc3.weight'), w('fc3.bias'));
  assert.deepEqual(out.shape, [3, 8]);
  assert.ok(maxAbsDiff(out.data, expected.data) < 1e-6);
});

test('single projector: fc1 -> GELU -> fc2; wrong widths name the tensor', () => {
  weights.set('q.fc1.weight', new Tensor(randomArray(rand, 8 * 10, 0.5), [8, 10]));
  weights.set('q.fc1.bias', new Tensor(randomArray(rand, 8, 0.5), [8]));
  weights.set('q.fc2.weight', w('fc3.weight'));
  weights.set('q.fc2.bias', w('fc3.bias'));
  const out = Projector.load(get, 'q.', 10, 8, false, shapeOf).forward(features);
  const expected = linear(gelu(linear(features, weights.get('q.fc1.weight')!, weights.get('q.fc1.bias')!), 'erf'), w('fc3.weight'), w('fc3.bias'));
  assert.ok(maxAbsDiff(out.data, expected.data) < 1e-6);
  assert.throws(() => Projector.load(get, 'p.', 12, 8, true, shapeOf), /tensor p\.fc1\.weight has shape \[40, 10\], expected \[40, 12\]/);
  assert.throws(() => Projector.load(get, 'p.', 10, 16, true, shapeOf), /tensor p\.fc3\.weight has shape \[8, 8\], expected \[16, 8\]/);
});
