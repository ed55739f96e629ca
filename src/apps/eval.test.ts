import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { randomDraftWeights, saveDraftHead } from '../spec/index.js';
import { formatSummary, runEvaluation, summarize } from './eval.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-eval-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('evaluation runs every decoder on the same initial states, logs each episode, and resumes without redoing any', async () => {
  writeTinyCheckpoint(join(root, 'vla'), { seed: 2, imageSize: 32, patchSize: 16 });
  const vla = VlaPolicy.load(join(root, 'vla'));
  saveDraftHead(join(root, 'draft'), vla.llm, randomDraftWeights(vla.llm, 3, 0.3));
  const opts = { model: join(root, 'vla'), draft: join(root, 'draft'), suites: ['spatial' as const], decoders: ['ar', 'strict@2,2,5'], trials: 1, tasks: 1, log: join(root, 'log.jsonl') };
  let ran = 0;
  const first = await runEvaluation({ ...opts, onEpisode: () => ran++ });
  assert.equal(ran, 2);
  assert.equal(first.length, 2);
  const [ar, strict] = first;
  // Lossless decoding drives the same episode.
  assert.equal(strict!.steps, ar!.steps);
  assert.equal(strict!.success, ar!.success);
  assert.ok(ar!.acceptLengths.every((l) => l === 1));
  ran = 0;
  const again = await runEvaluation({ ...opts, onEpisode: () => ran++ });
  assert.equal(ran, 0, 'a rerun with the same log redoes nothing');
  assert.equal(again.length, 2);
  assert.equal(readFileSync(opts.log, 'utf8').trim().split('\n').length, 2);
  const rows = summarize(again, opts.decoders);
  assert.deepEqual(rows.map((r) => `${r.suite}:${r.decoder}`), ['spatial:ar', 'spatial:strict@2,2,5', 'all:ar', 'all:strict@2,2,5']);
  assert.equal(rows[0]!.speedup, 1);
  assert.ok(rows[0]!.latency_median_ms > 0 && Number.isFinite(rows[1]!.speedup));
  assert.match(formatSummary(rows), /spatial {2}\| ar/);
});
