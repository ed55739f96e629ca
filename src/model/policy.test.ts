import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { argmax, concatRows, Tensor } from '../ops/index.js';
import { relativeError } from '../ops/testing.js';
import { positionsFrom } from './decoder.js';
import { KvCache } from './kv-cache.js';
import { causalMask } from './llama.js';
import type { RgbImage } from './image.js';
import { VlaPolicy } from './policy.js';
import { encodeSafetensors, SafetensorsFile } from './safetensors.js';
import { writeTinyCheckpoint } from './tiny-checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-policy-'));
after(() => rmSync(root, { recursive: true, force: true }));

function image(seed: number, w = 40, h = 30): RgbImage {
  return { width: w, height: h, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 31 + seed * 17) & 255) };
}

test('a tiny OpenVLA-layout checkpoint (fused backbones, bf16, sharded) loads and predicts a 7-D action', () => {
  const dir = join(root, 'fused');
  writeTinyCheckpoint(dir, { seed: 1, dtype: 'BF16', shards: 3 });
  const policy = VlaPolicy.load(dir);
  const out = policy.predictAction(image(1), 'pick up the red block', { unnormKey: 'tiny_dataset' });
  assert.equal(out.action.length, 7);
  assert.equal(out.tokens.length, 7);
  const stats = policy.normStats('tiny_dataset');
  out.action.slice(0, 6).forEach((a, i) => assert.ok(a >= stats.q01[i]! - 1e-9 && a <= stats.q99[i]! + 1e-9, `dim ${i}: ${a}`));
  assert.equal(out.stats.targetForwards, 7);
  // Deterministic, and the image matters.
  assert.deepEqual(policy.predictAction(image(1), 'pick up the red block').tokens, out.tokens);
  const others = [2, 3, 4, 5].map((s) => policy.predictAction(image(s), 'pick up the red block').tokens.join());
  assert.ok(others.some((t) => t !== out.tokens.join()), 'different images should change some action');
  // Greedy AR with the KV cache = argmax of a full recompute over the prefix and the tokens so far.
  const img = policy.prepareImage(image(1));
  const prefixEmbeds = policy.prefix(img, 'pick up the red block');
  const recomputed: number[] = [];
  for (let i = 0; i < 7; i++) {
    const x = concatRows([prefixEmbeds, ...(recomputed.length ? [policy.llm.embed(recomputed)] : [])]);
    const cache = new KvCache(policy.llm.cfg.nLayers, policy.llm.kvWidth, x.rows);
    recomputed.push(argmax(policy.llm.forward(x, positionsFrom(0, x.rows), causalMask(0, x.rows), cache, { logits: 'last', prompt: prefixEmbeds.rows }).logits)[0]!);
  }
  assert.deepEqual(out.tokens, recomputed);
  for (const ms of Object.values(out.timings)) assert.ok(Number.isFinite(ms) && ms >= 0);
  assert.ok(out.timings.totalMs >= out.timings.visionMs + out.timings.prefillMs);
  // The prefix is [BOS, patches, prompt]: 1 + 2x2 patches + prompt tokens.
  const prefix = policy.prefix(policy.prepareImage(image(1)), 'pick up the red block');
  assert.equal(prefix.rows, 1 + 4 + policy.tokenizer.promptIds('pick up the red block').length - 1);
});

test('a single-backbone f16 checkpoint loads too', () => {
  const dir = join(root, 'single');
  writeTinyCheckpoint(dir, { seed: 2, fused: false, dtype: 'F16' });
  const out = VlaPolicy.load(dir).predictAction(image(2), 'place it on the plate', { rotate: true, centerCrop: true });
  assert.equal(out.action.length, 7);
});

function rewrite(dir: string, edit: (m: Map<string, Tensor>) => void): void {
  const path = join(dir, 'model.safetensors');
  const file = SafetensorsFile.open(path);
  const m = new Map([...file.entries.keys()].map((k) => [k, file.tensor(k)]));
  edit(m);
  writeFileSync(path, encodeSafetensors(m));
}

test('bf16 image and prompt: the products really run in bf16, and stay within its rounding of f32', () => {
  const dir = join(root, 'bf16');
  writeTinyCheckpoint(dir, { seed: 4, dtype: 'BF16' });
  const policy = VlaPolicy.load(dir);
  const img = policy.prepareImage(image(3));
  const prefillLogits = () => {
    const x = policy.prefix(img, 'pick up the red block');
    const cache = new KvCache(policy.llm.cfg.nLayers, policy.llm.kvWidth, x.rows);
    return policy.llm.forward(x, positionsFrom(0, x.rows), causalMask(0, x.rows), cache, { logits: 'last', prompt: x.rows }).logits.data;
  };
  policy.bf16 = false;
  const f32 = prefillLogits();
  policy.bf16 = true;
  const bf16 = prefillLogits();
  const err = relativeError(bf16, f32);
  assert.ok(err > 1e-5 && err < 5e-2, `bf16 against f32: relative error ${err}`);
});

test('broken checkpoints give errors that name the problem', () => {
  const fresh = (name: string) => {
    const dir = join(root, name);
    writeTinyCheckpoint(dir, { seed: 3 });
    return dir;
  };
  const missing = fresh('missing');
  rewrite(missing, (m) => m.delete('language_model.model.layers.1.mlp.up_proj.weight'));
  assert.throws(() => VlaPolicy.load(missing), /tensor language_model\.model\.layers\.1\.mlp\.up_proj\.weight is missing/);

  const shape = fresh('shape');
  rewrite(shape, (m) => m.set('projector.fc3.weight', Tensor.zeros([32, 31])));
  assert.throws(() => VlaPolicy.load(shape), /projector\.fc3\.weight has shape \[32, 31\], expected \[32, 32\]/);

  const truncated = fresh('truncated');
  const path = join(truncated, 'model.safetensors');
  truncateSync(path, readFileSync(path).length - 100);
  assert.throws(() => VlaPolicy.load(truncated), /truncated file/);

  const dtype = fresh('dtype');
  const bytes = readFileSync(join(dtype, 'model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = bytes.toString('utf8', 8, 8 + n).replace('"dtype":"F32","shape":[32]', '"dtype":"I32","shape":[32]');
  writeFileSync(join(dtype, 'model.safetensors'), Buffer.concat([bytes.subarray(0, 8 + n - header.length), Buffer.from(header), bytes.subarray(8 + n)]));
  assert.throws(() => VlaPolicy.load(dtype), /has dtype I32; supported: F32, F16, BF16/);

  const notSt = fresh('notst');
  writeFileSync(join(notSt, 'model.safetensors'), 'hello, this is not a checkpoint at all');
  assert.throws(() => VlaPolicy.load(notSt), /not a safetensors file/);

  const badJson = fresh('badjson');
  writeFileSync(join(badJson, 'config.json'), '{ "text_config": ');
  assert.throws(() => VlaPolicy.load(badJson), /config\.json: not valid JSON/);

  const ok = VlaPolicy.load(fresh('ok'));
  assert.throws(() => ok.predictAction(image(1), 'pick', { unnormKey: 'bridge' }), /unknown unnorm_key "bridge"; this model has: tiny_dataset/);
  assert.throws(() => ok.predictAction(image(1), '  '), /instruction is empty/);
  assert.throws(() => ok.predictAction({ width: 4, height: 4, data: new Uint8Array(5) }, 'pick'), /5 bytes for 4x4x3/);
});
