import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resize, type RgbImage } from '../model/index.js';
import { encodeGif, filmstrip } from '../sim/index.js';
import type { EpisodeRunner, EvalJob } from './eval.js';
import type { DecoderSummary } from './eval-summary.js';
import { barChart, esc, lineChart } from './plots.js';

export interface Plot {
  file: string;
  title: string;
  svg: string;
}

export interface EpisodeGif {
  file: string;
  caption: string;
}

/** The decoder names of a relaxation sweep: ar, then relaxed:r for each radius. */
export function sweepDecoders(radii: readonly number[]): string[] {
  return ['ar', ...radii.map((r) => `relaxed:${r}`)];
}

/**
 * The report's charts: with a sweep, success rate and accept length against r per suite; always,
 * per-position acceptance of every speculative decoder (all suites), and success per suite.
 */
export function reportPlots(rows: readonly DecoderSummary[], radii?: readonly number[]): Plot[] {
  const suites = [...new Set(rows.map((r) => r.suite))];
  const decoders = [...new Set(rows.map((r) => r.decoder))];
  const row = (suite: string, decoder: string) => rows.find((r) => r.suite === suite && r.decoder === decoder);
  const plots: Plot[] = [];
  if (radii?.length) {
    const over = (f: (r: DecoderSummary) => number) => suites.map((s) => ({ name: s, values: radii.map((r) => (row(s, `relaxed:${r}`) ? f(row(s, `relaxed:${r}`)!) : NaN)) }));
    plots.push({ file: 'sweep-success.svg', title: 'Success rate against r', svg: lineChart({ title: 'Success rate against relaxation radius r', xLabel: 'r (bins)', yLabel: 'success rate', x: [...radii], series: over((r) => r.success_rate), yMax: 1 }) });
    plots.push({ file: 'sweep-accept-length.svg', title: 'Accept length against r', svg: lineChart({ title: 'Accept length L against relaxation radius r', xLabel: 'r (bins)', yLabel: 'tokens per target forward', x: [...radii], series: over((r) => r.accept_length) }) });
  }
  const spec = decoders.filter((d) => d !== 'ar');
  if (spec.length) {
    plots.push({
      file: 'acceptance-by-position.svg',
      title: 'Acceptance per action-token position',
      svg: barChart({
        title: 'Accepted draft tokens per position (all suites)',
        xLabel: 'action token (1 comes from the prefill)',
        yLabel: 'share of actions',
        categories: ['1', '2', '3', '4', '5', '6', '7'],
        series: spec.flatMap((d) => (row('all', d) ? [{ name: d, values: row('all', d)!.acceptance_by_position }] : [])),
        yMax: 1,
      }),
    });
  }
  plots.push({
    file: 'success.svg',
    title: 'Success rate per suite',
    svg: barChart({ title: 'Success rate per suite', xLabel: 'suite', yLabel: 'success rate', categories: suites, series: decoders.map((d) => ({ name: d, values: suites.map((s) => row(s, d)?.success_rate ?? 0) })), yMax: 1 }),
  });
  return plots;
}

/** Runs two decoders on the same state with recording and writes the episodes side by side as one GIF. */
export async function comparisonGif(runner: EpisodeRunner, job: EvalJob, other: string, dir: string): Promise<EpisodeGif> {
  const a = await runner.frames(job);
  const b = await runner.frames({ ...job, decoder: other });
  const n = Math.max(a.frames.length, b.frames.length);
  const small = (f: readonly RgbImage[], i: number) => resize(f[Math.min(i, f.length - 1)]!, 128, 128);
  const frames = Array.from({ length: Math.ceil(n / 2) }, (_, k) => filmstrip([small(a.frames, 2 * k), small(b.frames, 2 * k)], 1));
  const file = `${job.suite}-${job.task}-${job.init}-${job.decoder}-vs-${other}.gif`.replace(/[^a-zA-Z0-9.,-]/g, '_');
  writeFileSync(join(dir, file), encodeGif(frames, 100));
  const outcome = (s: boolean) => (s ? 'success' : 'failure');
  return { file, caption: `${job.suite} task ${job.task}, initial state ${job.init}: ${job.decoder} (left, ${outcome(a.success)}, ${a.frames.length} frames) vs ${other} (right, ${outcome(b.success)}, ${b.frames.length} frames)` };
}

/** Writes DIR/index.html (table, charts, GIFs) and the charts as SVG files; returns the page's path. */
export function writeReport(dir: string, input: { title: string; command: string; machine: string; rows: readonly DecoderSummary[]; plots: readonly Plot[]; gifs: readonly EpisodeGif[] }): string {
  mkdirSync(dir, { recursive: true });
  for (const p of input.plots) writeFileSync(join(dir, p.file), p.svg);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = input.rows
    .map(
      (r) =>
        `<tr><td>${esc(r.suite)}</td><td>${esc(r.decoder)}</td><td>${r.episodes}</td><td>${pct(r.success_rate)}</td><td>${r.accept_length.toFixed(2)}</td><td>${r.target_forwards_per_action.toFixed(2)}</td><td>${r.latency_median_ms.toFixed(1)}</td><td>${r.latency_p90_ms.toFixed(1)}</td><td>${r.speedup.toFixed(2)}x</td><td>${r.action_error_vs_ar === null ? '' : `${r.action_error_vs_ar.toFixed(4)} (${r.coincident_steps!.toFixed(0)} steps)`}</td></tr>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:nth-child(-n+2){text-align:left}figure{display:inline-block;margin:0.5em}code{background:#f4f4f4;padding:2px 4px}</style>
</head><body>
<h1>${esc(input.title)}</h1>
<p><code>${esc(input.command)}</code><br>${esc(input.machine)}</p>
<p>Every decoder ran the same initial states. Speedup: the first decoder's median per-action latency over this decoder's (warm-up actions excluded).
Action error vs ar: mean absolute difference of the normalized actions ([-1, 1] range) on the steps where the decoder saw exactly ar's observation.</p>
<table><tr><th>suite</th><th>decoder</th><th>episodes</th><th>success</th><th>accept L</th><th>target fwd / action</th><th>median ms</th><th>p90 ms</th><th>speedup</th><th>action error vs ar</th></tr>
${rows}
</table>
<h2>Charts</h2>
${input.plots.map((p) => `<figure><img src="${p.file}" alt="${esc(p.title)}"><figcaption>${esc(p.title)}</figcaption></figure>`).join('\n')}
<h2>Episodes</h2>
${input.gifs.map((g) => `<figure><img src="${g.file}" alt="${esc(g.caption)}"><figcaption>${esc(g.caption)}</figcaption></figure>`).join('\n') || '<p>(none recorded)</p>'}
</body></html>
`;
  const page = join(dir, 'index.html');
  writeFileSync(`${page}.tmp`, html);
  renameSync(`${page}.tmp`, page);
  return page;
}
