import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { randomDraftWeights, saveDraftHead } from '../spec/index.js';
import { EpisodeRunner } from './eval.js';
import type { DecoderSummary } from './eval-summary.js';
import { barChart, lineChart } from './plots.js';
import { comparisonGif, reportPlots, sweepDecoders, writeReport } from './report.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

const row = (suite: string, decoder: string, success: number, L: number): DecoderSummary => ({
  suite,
  decoder,
  episodes: 10,
  success_rate: success,
  accept_length: L,
  target_forwards_per_action: 7 / L,
  latency_median_ms: 40 / L,
  latency_p90_ms: 50 / L,
  speedup: L,
  action_error_vs_ar: decoder === 'ar' ? null : 0.01,
  coincident_steps: decoder === 'ar' ? null : 12,
  acceptance_by_position: [0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
});

test('charts: one point per x and series, one bar per category and series, values scaled into the plot', () => {
  const svg = lineChart({ title: 't', xLabel: 'r', yLabel: 'y', x: [0, 1, 3], series: [{ name: 'a', values: [0.1, 0.5, 1] }, { name: 'b<c', values: [0, NaN, 0.2] }], yMax: 1 });
  assert.equal((svg.match(/<circle/g) ?? []).length, 5, 'NaN points are left out');
  assert.match(svg, /b&lt;c/);
  assert.ok(svg.startsWith('<svg') && svg.trim().endsWith('</svg>'));
  const bars = barChart({ title: 't', xLabel: 'x', yLabel: 'y', categories: ['1', '2', '3'], series: [{ name: 'a', values: [1, 0.5, 0] }, { name: 'b', values: [0.2, 0.2, 0.2] }], yMax: 1 });
  const heights = [...bars.matchAll(/<rect class="bar" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"/g)].map((m) => Number(m[1]));
  assert.equal(heights.length, 6);
  assert.ok(Math.abs(heights[0]! - 2 * heights[1]!) < 0.2 && heights[2] === 0);
});

test('a sweep report draws success and accept length against r, per-position acceptance, and links every chart from the page', () => {
  const radii = [0, 3, 9];
  const rows = ['goal', 'all'].flatMap((s) => sweepDecoders(radii).map((d, i) => row(s, d, 0.8, 1 + i)));
  const plots = reportPlots(rows, radii);
  assert.deepEqual(plots.map((p) => p.file), ['sweep-success.svg', 'sweep-accept-length.svg', 'acceptance-by-position.svg', 'success.svg']);
  assert.equal((plots[1]!.svg.match(/<circle/g) ?? []).length, 2 * radii.length, 'a point per radius for each of goal and all');
  const page = writeReport(join(root, 'report'), { title: 'x', command: 'spec-vla eval --sweep r=0,3,9', machine: 'm', rows, plots, gifs: [] });
  const html = readFileSync(page, 'utf8');
  for (const p of plots) {
    assert.ok(existsSync(join(root, 'report', p.file)));
    assert.ok(html.includes(`src="${p.file}"`));
  }
  assert.equal((html.match(/<tr><td>/g) ?? []).length, rows.length);
});

test('an episode GIF shows ar and the other decoder side by side on the same initial state', async () => {
  writeTinyCheckpoint(join(root, 'vla'), { seed: 2, imageSize: 32, patchSize: 16 });
  const vla = VlaPolicy.load(join(root, 'vla'));
  saveDraftHead(join(root, 'draft'), vla.llm, randomDraftWeights(vla.llm, 3, 0.3));
  const runner = await EpisodeRunner.create(join(root, 'vla'), join(root, 'draft'), ['ar', 'strict@2,2,5']);
  const gif = await comparisonGif(runner, { suite: 'spatial', task: 0, init: 0, decoder: 'ar' }, 'strict@2,2,5', root);
  const bytes = readFileSync(join(root, gif.file));
  assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a');
  assert.equal(bytes.readUInt16LE(6), 256, 'two 128-pixel views side by side');
  assert.equal(bytes.readUInt16LE(8), 128);
  assert.match(gif.caption, /ar \(left, (success|failure), \d+ frames\) vs strict@2,2,5 \(right/);
});
