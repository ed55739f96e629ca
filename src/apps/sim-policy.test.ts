import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArDecoder, VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { getTask, runEpisode, TabletopEnv } from '../sim/index.js';
import { createDecoder, randomDraftWeights, saveDraftHead, loadDraftHead } from '../spec/index.js';
import { vlaSimPolicy } from './sim-policy.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-simpolicy-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a VLA acts in the benchmark world through the decoders: env actions of 7 finite values, binary gripper, one stats entry per step', async () => {
  writeTinyCheckpoint(join(root, 'vla'), { seed: 4, imageSize: 32, patchSize: 16 });
  const vla = VlaPolicy.load(join(root, 'vla'));
  saveDraftHead(join(root, 'draft'), vla.llm, randomDraftWeights(vla.llm, 5, 0.3));
  const draft = loadDraftHead(join(root, 'draft'), vla.llm);
  const env = await TabletopEnv.create(64);
  const task = getTask('spatial', 0);
  const actions: number[][] = [];
  for (const decoder of [new ArDecoder(vla.llm), createDecoder(vla, 'strict@3,2,7', draft)]) {
    const { policy, stats } = vlaSimPolicy(vla, decoder);
    const r = await runEpisode(env, task, 0, policy, { stepLimit: 4, record: true });
    assert.equal(r.steps, 4);
    assert.equal(stats.length, 4);
    for (const a of r.actions) {
      assert.equal(a.length, 7);
      assert.ok(a.every(Number.isFinite));
      assert.ok([-1, 0, 1].includes(a[6]!), `gripper ${a[6]}`);
    }
    actions.push(r.actions.flat());
  }
  // Strict speculative decoding drives the robot exactly as plain decoding does.
  assert.deepEqual(actions[1], actions[0]);
});
