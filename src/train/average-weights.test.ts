import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeSafetensors, SafetensorsFile, VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { averageWeights } from './average-weights.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-average-'));
after(() => rmSync(root, { recursive: true, force: true }));
const a = join(root, 'a');
const b = join(root, 'b');
writeTinyCheckpoint(a, { seed: 1, fused: false, dtype: 'F32' });
writeTinyCheckpoint(b, { seed: 2, fused: false, dtype: 'F32' });

test('averageWeights writes the elementwise mean of every tensor, loadable as a model', () => {
  const out = join(root, 'mean');
  const r = averageWeights([a, b], out);
  const [fa, fb, fm] = [a, b, out].map((d) => SafetensorsFile.open(join(d, 'model.safetensors')));
  assert.equal(r.tensors, fa!.entries.size);
  assert.equal(r.dtype, 'F32');
  for (const name of fa!.entries.keys()) {
    const [x, y, m] = [fa!, fb!, fm!].map((f) => f.tensor(name).data);
    assert.ok(x!.some((v, i) => v !== y![i]), `${name}: the two seeds differ`);
    m!.forEach((v, i) => assert.equal(v, Math.fround((x![i]! + y![i]!) / 2), name));
  }
  assert.equal(readFileSync(join(out, 'config.json'), 'utf8'), readFileSync(join(a, 'config.json'), 'utf8'));
  const policy = VlaPolicy.load(out);
  const size = policy.config.vision[0]!.imageSize;
  const image = { width: size, height: size, data: new Uint8Array(size * size * 3).fill(90) };
  assert.equal(policy.predictAction(image, 'pick up the block').tokens.length, 7);
});

test('averageWeights refuses models that differ in config or tensors, and an output that is an input', () => {
  const other = join(root, 'other');
  writeTinyCheckpoint(other, { seed: 3, fused: false, dtype: 'F32', layers: 1 });
  assert.throws(() => averageWeights([a, other], join(root, 'x')), /config\.json differs/);
  const renamed = join(root, 'renamed');
  writeTinyCheckpoint(renamed, { seed: 4, fused: false, dtype: 'F32' });
  const f = SafetensorsFile.open(join(renamed, 'model.safetensors'));
  const [firstName, ...rest] = f.entries.keys();
  const tensors = new Map([['unexpected.weight', f.tensor(firstName!)], ...rest.map((n) => [n, f.tensor(n)] as const)]);
  writeFileSync(join(renamed, 'model.safetensors'), encodeSafetensors(tensors));
  assert.throws(() => averageWeights([a, renamed], join(root, 'y')), /tensors differ/);
  assert.throws(() => averageWeights([a, b], a), /one of the inputs/);
  assert.throws(() => averageWeights([a], join(root, 'z')), /at least two/);
});
