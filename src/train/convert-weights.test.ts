import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SafetensorsFile, VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { convertWeights } from './convert-weights.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-convert-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('convertWeights re-stores every weight file of a model folder as I8, copies the rest, and the result loads', () => {
  const src = join(root, 'model');
  writeTinyCheckpoint(join(src, 'target'), { seed: 5, fused: false, dtype: 'F32' });
  mkdirSync(join(src, 'target', 'checkpoint'));
  writeFileSync(join(src, 'target', 'checkpoint', 'state.json'), '{}');
  const out = join(root, 'i8');
  const r = convertWeights(src, out, 'I8');
  assert.equal(r.files, 1);
  assert.ok(r.bytesAfter < 0.35 * r.bytesBefore, `F32 -> I8 is a quarter, plus the F32 vectors and scales: ${r.bytesBefore} -> ${r.bytesAfter}`);
  assert.equal(readFileSync(join(out, 'target', 'config.json'), 'utf8'), readFileSync(join(src, 'target', 'config.json'), 'utf8'));
  assert.ok(!existsSync(join(out, 'target', 'checkpoint')), 'a training checkpoint is not part of the model');
  const [before, after_] = [src, out].map((d) => SafetensorsFile.open(join(d, 'target', 'model.safetensors')));
  assert.equal(after_!.dtype, 'I8');
  assert.deepEqual([...after_!.entries.keys()], [...before!.entries.keys()]);
  for (const name of before!.entries.keys()) {
    const [x, y] = [before!.tensor(name), after_!.tensor(name)];
    const tol = Math.max(...x.data.map(Math.abs)) / 254 + 1e-7;
    x.data.forEach((v, i) => assert.ok(Math.abs(v - y.data[i]!) <= tol, name));
  }
  const policy = VlaPolicy.load(join(out, 'target'));
  const size = policy.config.vision[0]!.imageSize;
  assert.equal(policy.predictAction({ width: size, height: size, data: new Uint8Array(size * size * 3).fill(90) }, 'pick up the block').tokens.length, 7);
  assert.ok(statSync(join(out, 'target', 'model.safetensors')).size === r.bytesAfter);
});

test('convertWeights refuses an output inside its input, a non-empty output, and a folder without weights', () => {
  const src = join(root, 'plain');
  writeTinyCheckpoint(src, { seed: 6, fused: false, dtype: 'F32' });
  assert.throws(() => convertWeights(src, src, 'I8'), /lies inside/);
  assert.throws(() => convertWeights(src, join(src, 'sub'), 'I8'), /lies inside/);
  assert.throws(() => convertWeights(src, join(src, '..sub'), 'I8'), /lies inside/);
  assert.throws(() => convertWeights(src, join(root, 'model'), 'I8'), /exists and is not empty/);
  const empty = join(root, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'config.json'), '{}');
  assert.throws(() => convertWeights(empty, join(root, 'e2'), 'BF16'), /no \.safetensors file/);
  assert.throws(() => convertWeights(join(root, 'nope'), join(root, 'e3'), 'I8'), /is not a folder/);
});
