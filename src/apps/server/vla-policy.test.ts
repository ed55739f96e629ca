import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VlaPolicy, writeTinyCheckpoint, type RgbImage } from '../../model/index.js';
import { randomDraftWeights, saveDraftHead } from '../../spec/index.js';
import { PolicyClient } from './client.js';
import { loadActionPolicy } from './policy.js';
import { PolicyServer } from './server.js';
import { WorkerPolicy } from './worker-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'spec-vla-server-'));
const model = join(dir, 'model');
const draft = join(dir, 'draft');
writeTinyCheckpoint(model, { seed: 3 });
const reference = VlaPolicy.load(model);
saveDraftHead(draft, reference.llm, randomDraftWeights(reference.llm, 4));
const unnormKey = Object.keys(reference.config.normStats)[0]!;

const images: RgbImage[] = [0, 1, 2].map((seed) => ({ width: 40, height: 30, data: Uint8Array.from({ length: 40 * 30 * 3 }, (_, i) => (i * 2654435761 + seed * 7919) >>> 24) }));
const instructions = ['pick up the black bowl', 'Open the top drawer', 'put the bowl on the plate'];

async function serve(decoder: string, fn: (client: PolicyClient) => Promise<void>): Promise<void> {
  const server = new PolicyServer({ policy: loadActionPolicy({ model, draft, decoder }) });
  try {
    await fn(new PolicyClient(await server.listen('127.0.0.1', 0)));
  } finally {
    await server.close();
  }
}

test('a tiny OpenVLA-layout checkpoint behind the server answers exactly what VlaPolicy.predictAction computes', async () => {
  await serve('ar', async (client) => {
    const health = await client.health();
    assert.deepEqual([health.model, health.decoder, health.unnorm_keys], [model, 'ar', [unnormKey]]);
    for (let i = 0; i < images.length; i++) {
      const direct = reference.predictAction(images[i]!, instructions[i]!, { unnormKey });
      // /act carries float64 bit for bit; unnorm_key may be omitted when the model has one dataset.
      assert.deepEqual(await client.act(images[i]!, instructions[i]!), direct.action);
      const details = await client.predict(images[i]!, instructions[i]!, unnormKey);
      assert.deepEqual(details.action, direct.action);
      assert.deepEqual(details.tokens, direct.tokens);
      assert.equal(details.stats.target_forwards, direct.stats.targetForwards);
      assert.equal(details.stats.accept_length, 1, 'plain decoding: one token per target forward');
    }
  });
});

test('--decoder strict with a draft head plugs in behind the same interface and stays lossless', async () => {
  await serve('strict@2,2,3', async (client) => {
    assert.match((await client.health()).decoder, /^strict/);
    for (let i = 0; i < images.length; i++) {
      const direct = reference.predictAction(images[i]!, instructions[i]!, { unnormKey });
      const details = await client.predict(images[i]!, instructions[i]!, unnormKey);
      assert.deepEqual(details.tokens, direct.tokens);
      assert.deepEqual(details.action, direct.action);
      assert.ok(details.stats.draft_forwards! > 0, 'the draft head ran');
    }
  });
});

test('loadActionPolicy explains bad decoder choices before loading anything', () => {
  assert.throws(() => loadActionPolicy({ model, decoder: 'beam:4' }), /invalid decoder "beam:4"/);
  assert.throws(() => loadActionPolicy({ model, decoder: 'relaxed:9' }), /needs a draft head: give --draft DIR/);
  assert.throws(() => loadActionPolicy({ model: join(dir, 'missing') }), /missing/);
});

test('WorkerPolicy (what serve uses) gives the same answers from a worker thread, and load errors come back', async () => {
  const policy = await WorkerPolicy.start({ model, draft, decoder: 'strict@2,2,3' });
  const server = new PolicyServer({ policy });
  try {
    const client = new PolicyClient(await server.listen('127.0.0.1', 0));
    assert.deepEqual(policy.unnormKeys, [unnormKey]);
    for (let i = 0; i < images.length; i++) {
      const direct = reference.predictAction(images[i]!, instructions[i]!, { unnormKey });
      const details = await client.predict(images[i]!, instructions[i]!);
      assert.deepEqual([details.action, details.tokens], [direct.action, direct.tokens]);
    }
  } finally {
    await server.close();
    await policy.close();
  }
  await assert.rejects(policy.predict(images[0]!, 'x', {}), /worker exited/);
  // A server left with a dead policy says so on /health.
  const orphan = new PolicyServer({ policy });
  try {
    const res = await fetch(`${await orphan.listen('127.0.0.1', 0)}/health`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { status: string; failure: string }).failure, /worker exited/);
  } finally {
    await orphan.close();
  }
  await assert.rejects(WorkerPolicy.start({ model: join(dir, 'missing') }), /missing/);
  await assert.rejects(WorkerPolicy.start({ model, decoder: 'relaxed:9' }), /needs a draft head/);
});

test('with the model in a worker, /health answers while a slow prediction runs', async () => {
  const slow = join(dir, 'slow');
  // Big enough that one prediction (about 0.3 s here) takes far longer than a health check (1-2 ms).
  writeTinyCheckpoint(slow, { seed: 6, hidden: 384, layers: 12, imageSize: 224, patchSize: 14 });
  const policy = await WorkerPolicy.start({ model: slow });
  const server = new PolicyServer({ policy });
  try {
    const client = new PolicyClient(await server.listen('127.0.0.1', 0));
    let predicted = false;
    const prediction = client.act(images[0]!, instructions[0]!).then(() => (predicted = true));
    for (let i = 0; i < 500 && !server.queue.running; i++) await new Promise((r) => setTimeout(r, 1));
    assert.ok(server.queue.running, 'the prediction started');
    const health = await client.health();
    assert.equal(health.queue.running, true);
    assert.equal(predicted, false, 'health answered before the prediction finished');
    await prediction;
  } finally {
    await server.close();
    await policy.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
