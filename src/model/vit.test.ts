import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, linear, Tensor } from '../ops/index.js';
import { maxAbsDiff } from '../ops/testing.js';
import { randomArray, seededRandom } from '../ops/random.js';
import type { VitConfig } from './config.js';
import type { TensorSource } from './llama.js';
import { randomSource } from './random-weights.js';
import { mergePatches, VisionTransformer } from './vit.js';

const dino: VitConfig = { imageSize: 28, patchSize: 14, width: 16, depth: 3, nHeads: 2, mlpHidden: 32, registers: 4, classToken: true, layerScale: true, gelu: 'erf', eps: 1e-6, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], merge: 1, wristImageSize: 0 };
// A SigLIP-style encoder; timm's so400m uses erf GELU, the tanh form is covered here for other ViTs.
const siglip: VitConfig = { ...dino, width: 12, nHeads: 3, mlpHidden: 20, registers: 0, classToken: false, layerScale: false, gelu: 'tanh', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
const n = 4; // 28 / 14 = 2 patches a side
const patches = new Tensor(randomArray(seededRandom(9), n * 3 * 14 * 14, 1), [n, 3 * 14 * 14]);

/** Seeded random weights, one fixed tensor per name, some replaced; records every name asked for. */
function source(seed: number, overrides: Record<string, Tensor> = {}, asked: string[] = []): TensorSource {
  const random = randomSource(seed, 0.3);
  const made = new Map<string, Tensor>();
  return (name, shape) => {
    asked.push(name);
    let t = overrides[name] ?? made.get(name);
    if (!t) made.set(name, (t = random(name, shape)));
    if (t.shape.join() !== shape.join()) throw new Error(`${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return t;
  };
}

test('patch tokens come from the second-to-last block: the last block is never read, the one before it matters', () => {
  for (const cfg of [dino, siglip]) {
    const asked: string[] = [];
    const vit = VisionTransformer.load(source(1, {}, asked), 'f.', cfg);
    assert.ok(asked.some((a) => a.startsWith(`f.blocks.${cfg.depth - 2}.`)));
    assert.ok(!asked.some((a) => a.startsWith(`f.blocks.${cfg.depth - 1}.`)), 'the last block is not loaded');
    const out = vit.forward(patches);
    assert.deepEqual(out.shape, [n, cfg.width], 'class and register tokens are dropped from the output');
    const changed = VisionTransformer.load(source(1, { [`f.blocks.${cfg.depth - 2}.mlp.fc2.bias`]: Tensor.zeros([cfg.width]) }), 'f.', cfg).forward(patches);
    assert.ok(maxAbsDiff(out.data, changed.data) > 1e-3);
  }
});

test('with LayerScale gammas at zero every block is the identity: output = patch embedding + position embedding', () => {
  const overrides: Record<string, Tensor> = {};
  for (let b = 0; b < dino.depth; b++) for (const ls of ['ls1', 'ls2']) overrides[`f.blocks.${b}.${ls}.gamma`] = Tensor.zeros([dino.width]);
  const get = source(2, overrides);
  const out = VisionTransformer.load(get, 'f.', dino).forward(patches);
  const w = get('f.patch_embed.proj.weight', [dino.width, 3, 14, 14]).reshape([dino.width, 3 * 14 * 14]);
  const expected = add(linear(patches, w, get('f.patch_embed.proj.bias', [dino.width])), get('f.pos_embed', [1, n, dino.width]).reshape([n, dino.width]));
  assert.ok(maxAbsDiff(out.data, expected.data) < 1e-5);
});

test('register tokens take part in attention; a class-token position row folds into cls_token as timm converts DINOv2', () => {
  const base = VisionTransformer.load(source(3), 'f.', dino).forward(patches);
  const otherRegs = VisionTransformer.load(source(3, { 'f.reg_token': new Tensor(randomArray(seededRandom(4), 4 * dino.width, 1), [1, 4, dino.width]) }), 'f.', dino).forward(patches);
  assert.ok(maxAbsDiff(base.data, otherRegs.data) > 1e-3);

  // A table with a class row (n + 1 rows) equals a patch-only table with that row added to cls_token.
  const random = randomSource(5, 0.3);
  const pos = random('f.pos_embed', [1, n + 1, dino.width]);
  const cls = random('f.cls_token', [1, 1, dino.width]);
  const withClassRow = VisionTransformer.load(source(6, { 'f.pos_embed': pos, 'f.cls_token': cls }), 'f.', dino).forward(patches);
  const folded = VisionTransformer.load(
    source(6, {
      'f.pos_embed': new Tensor(pos.data.slice(dino.width), [1, n, dino.width]),
      'f.cls_token': add(cls.reshape([1, dino.width]), new Tensor(pos.data.slice(0, dino.width), [1, dino.width])).reshape([1, 1, dino.width]),
    }),
    'f.',
    dino,
  ).forward(patches);
  assert.ok(maxAbsDiff(withClassRow.data, folded.data) < 1e-5);
  assert.throws(() => VisionTransformer.load(source(7, { 'f.pos_embed': Tensor.zeros([1, n + 2, dino.width]) }), 'f.', dino), /f\.pos_embed/);
  assert.throws(() => VisionTransformer.load(source(8), 'f.', dino).forward(patches.slice(0, 3)), /3 patches, expected 4/);
});

test('merging patches concatenates each 2 x 2 block of the grid into one token, blocks in row-major order', () => {
  const grid = 4;
  const features = new Tensor(Float32Array.from({ length: 16 * 2 }, (_, i) => Math.floor(i / 2) + (i % 2) / 10), [16, 2]);
  const m = mergePatches(features, grid, 2);
  assert.deepEqual(m.shape, [4, 8]);
  const rowsOf = (t: number) => Array.from(m.data.subarray(t * 8, t * 8 + 8)).filter((_, j) => j % 2 === 0);
  assert.deepEqual(rowsOf(0), [0, 1, 4, 5]);
  assert.deepEqual(rowsOf(1), [2, 3, 6, 7]);
  assert.deepEqual(rowsOf(3), [10, 11, 14, 15]);
  assert.equal(m.data[1], Math.fround(0.1));
  assert.equal(mergePatches(features, grid, 1), features);
  assert.throws(() => mergePatches(features, 3, 2), /16 rows for a 3 x 3 grid/);
});
