import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { randomDraftWeights, saveDraftHead } from '../spec/index.js';
import { evalJobs, runEvaluation, type EpisodeRecord } from './eval.js';
import { coincidentErrors, formatSummary, summarize } from './eval-summary.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-eval-'));
after(() => rmSync(root, { recursive: true, force: true }));

writeTinyCheckpoint(join(root, 'vla'), { seed: 2, imageSize: 32, patchSize: 16 });
const vla = VlaPolicy.load(join(root, 'vla'));
saveDraftHead(join(root, 'draft'), vla.llm, randomDraftWeights(vla.llm, 3, 0.3));
const base = { model: join(root, 'vla'), draft: join(root, 'draft'), suites: ['spatial' as const], trials: 1, tasks: 1 };

test('evaluation in worker processes runs every decoder on the same initial states, logs each episode, and resumes without redoing any', async () => {
  const opts = { ...base, decoders: ['ar', 'strict@2,2,5', 'relaxed:255@3,1,4'], log: join(root, 'log.jsonl'), workers: 2 };
  let ran = 0;
  const first = await runEvaluation({ ...opts, onEpisode: () => ran++ });
  assert.equal(ran, 3);
  assert.deepEqual(first.map((r) => r.decoder), opts.decoders, 'records come back in job order');
  const [ar, strict, relaxed] = first as [EpisodeRecord, EpisodeRecord, EpisodeRecord];
  // Lossless decoding drives the same episode, action for action.
  assert.deepEqual(strict.actions, ar.actions);
  assert.equal(strict.success, ar.success);
  assert.ok(ar.acceptLengths.every((l) => l === 1));
  assert.equal(ar.actions.length, ar.steps);
  // Token 1 always comes from the prefill; ar accepts nothing; relaxed:255 takes drafted tokens whenever the target's own choice is an action token.
  assert.equal(relaxed.acceptedByPosition[0], 0);
  assert.ok(relaxed.acceptedByPosition.every((n) => n <= relaxed.steps) && relaxed.acceptedByPosition.some((n) => n > 0));
  assert.deepEqual(ar.acceptedByPosition, [0, 0, 0, 0, 0, 0, 0]);

  ran = 0;
  const again = await runEvaluation({ ...opts, onEpisode: () => ran++ });
  assert.equal(ran, 0, 'a rerun with the same log redoes nothing');
  assert.deepEqual(again, first);
  assert.equal(readFileSync(opts.log, 'utf8').trim().split('\n').length, 3);

  const rows = summarize(again, opts.decoders);
  assert.deepEqual(rows.map((r) => `${r.suite}:${r.decoder}`), ['spatial:ar', 'spatial:strict@2,2,5', 'spatial:relaxed:255@3,1,4', 'all:ar', 'all:strict@2,2,5', 'all:relaxed:255@3,1,4']);
  assert.equal(rows[0]!.speedup, 1);
  assert.equal(rows[0]!.action_error_vs_ar, null);
  assert.equal(rows[1]!.action_error_vs_ar, 0, 'strict never departs from ar');
  assert.equal(rows[1]!.coincident_steps, ar.steps);
  assert.match(formatSummary(rows), /spatial {2}\| ar/);
});

test('an interrupted log (half-written last line) resumes: only the missing episode runs again, in this process', async () => {
  const log = join(root, 'partial.jsonl');
  const opts = { ...base, decoders: ['ar', 'strict@2,2,5'], log, workers: 1 };
  await runEvaluation({ ...opts, decoders: ['ar'] });
  appendFileSync(log, '{"suite":"spatial","task":0,"in');
  const seen: string[] = [];
  const records = await runEvaluation({ ...opts, onEpisode: (e) => seen.push(e.decoder) });
  assert.deepEqual(seen, ['strict@2,2,5']);
  assert.equal(records.length, 2);
});

test('a worker that cannot load the model fails the evaluation with the reason instead of hanging', async () => {
  await assert.rejects(runEvaluation({ ...base, model: join(root, 'missing'), decoders: ['ar', 'ar'], trials: 2, workers: 2 }), /evaluation worker: .*missing/);
});

test('jobs interleave the decoders per initial state', () => {
  const jobs = evalJobs({ suites: ['goal'], decoders: ['ar', 'relaxed:9'], trials: 2, tasks: 2 });
  assert.deepEqual(jobs.map((j) => `${j.task}/${j.init}/${j.decoder}`), ['0/0/ar', '0/0/relaxed:9', '0/1/ar', '0/1/relaxed:9', '1/0/ar', '1/0/relaxed:9', '1/1/ar', '1/1/relaxed:9']);
});

test('action error vs ar is taken on the shared trajectory only: up to and including the first differing action', () => {
  const a = [[0, 0], [0.5, 0.5], [1, 1], [1, 1]];
  const b = [[0, 0], [0.5, 0.5], [0, 1], [9, 9]];
  assert.deepEqual(coincidentErrors(a, b), [0, 0, 0.5]);
  assert.deepEqual(coincidentErrors(a, a), [0, 0, 0, 0]);
  const rec = (decoder: string, init: number, actions: number[][], accepted: number[]): EpisodeRecord => ({
    suite: 'goal',
    task: 0,
    init,
    decoder,
    success: decoder === 'ar' || init === 0,
    steps: actions.length,
    latencies: [decoder === 'ar' ? 10 : 5],
    acceptLengths: actions.map(() => (decoder === 'ar' ? 1 : 3)),
    targetForwards: actions.map(() => (decoder === 'ar' ? 7 : 3)),
    acceptedByPosition: accepted,
    actions,
  });
  const rows = summarize([rec('ar', 0, a, [0, 0, 0, 0, 0, 0, 0]), rec('relaxed:9', 0, b, [0, 4, 2, 0, 0, 0, 0]), rec('ar', 1, a, [0, 0, 0, 0, 0, 0, 0]), rec('relaxed:9', 1, a, [0, 4, 4, 4, 0, 0, 0])], ['ar', 'relaxed:9']);
  const relaxed = rows.find((r) => r.suite === 'goal' && r.decoder === 'relaxed:9')!;
  assert.equal(relaxed.action_error_vs_ar, 0.5 / 7, 'mean over 3 + 4 coincident steps');
  assert.equal(relaxed.coincident_steps, 3.5);
  assert.deepEqual(relaxed.acceptance_by_position, [0, 1, 0.75, 0.5, 0, 0, 0]);
  assert.equal(relaxed.success_rate, 0.5);
  assert.equal(relaxed.speedup, 2);
  assert.equal(relaxed.accept_length, 3);
});
