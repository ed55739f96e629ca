import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { createDecoder } from './create-decoder.js';
import { loadDraftHead, randomDraftWeights, saveDraftHead } from './draft-io.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-decoder-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('VlaPolicy with a saved and reloaded draft: strict and relaxed:0 match ar on real prompts and images', () => {
  writeTinyCheckpoint(join(root, 'target'), { seed: 5 });
  const policy = VlaPolicy.load(join(root, 'target'));
  saveDraftHead(join(root, 'draft'), policy.llm, randomDraftWeights(policy.llm, 9, 0.3), 'BF16');
  const draft = loadDraftHead(join(root, 'draft'), policy.llm);
  const ar = createDecoder(policy, 'ar');
  for (const spec of ['strict', 'relaxed:0@3,4,13+prior', 'strict@6,2,8+prior']) {
    const dec = createDecoder(policy, spec, draft);
    for (let s = 0; s < 5; s++) {
      const img = { width: 28, height: 28, data: Uint8Array.from({ length: 28 * 28 * 3 }, (_, i) => (i * 7 + s * 101) & 255) };
      const want = policy.predictAction(img, 'pick up the red block', { decoder: ar }).tokens;
      assert.deepEqual(policy.predictAction(img, 'pick up the red block', { decoder: dec }).tokens, want, `${spec} image ${s}`);
    }
  }
});

test('decoder and draft errors are clear', () => {
  const policy = VlaPolicy.load(join(root, 'target'));
  assert.throws(() => createDecoder(policy, 'strict'), /needs a draft head/);
  assert.throws(() => createDecoder(policy, 'turbo'), /invalid decoder "turbo"/);
  writeFileSync(join(root, 'bad.json'), '{}');
  assert.throws(() => loadDraftHead(root, policy.llm), /no config\.json/);
  const other = join(root, 'other');
  saveDraftHead(other, policy.llm, randomDraftWeights(policy.llm, 1), 'F32', { hidden_size: 64 });
  assert.throws(() => loadDraftHead(other, policy.llm), /hidden_size 64 does not match the target's 32/);
});
