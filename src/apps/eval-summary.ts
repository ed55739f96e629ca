import type { EpisodeRecord } from './eval.js';
import { quantile } from './quantile.js';

export interface DecoderSummary {
  suite: string;
  decoder: string;
  episodes: number;
  success_rate: number;
  accept_length: number;
  target_forwards_per_action: number;
  latency_median_ms: number;
  latency_p90_ms: number;
  /** Median per-action latency of the first decoder over this one's. */
  speedup: number;
  /**
   * Mean |a - a_ar| over the 7 normalized action dimensions (units of the [-1, 1] range), on the
   * steps where this decoder saw exactly ar's observation: every step up to and including the first
   * action that differs from ar's in the same episode. null without an ar run or for ar itself.
   */
  action_error_vs_ar: number | null;
  /** Mean steps per episode on which the action error was taken (the length of the shared trajectory). */
  coincident_steps: number | null;
  /** Per action-token position 1..7: the share of actions whose token there was an accepted draft token. */
  acceptance_by_position: number[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const episodeKey = (r: EpisodeRecord) => `${r.suite}/${r.task}/${r.init}`;

/** Per step of the shared trajectory of two episodes from the same state: the mean absolute action difference. */
export function coincidentErrors(a: readonly number[][], b: readonly number[][]): number[] {
  const errors: number[] = [];
  for (let t = 0; t < Math.min(a.length, b.length); t++) {
    const e = mean(a[t]!.map((x, k) => Math.abs(x - b[t]![k]!)));
    errors.push(e);
    if (e > 0) break; // from here on the observations differ
  }
  return errors;
}

/** Per suite (and 'all') and decoder: the evaluation's figures, speedup against the first decoder. */
export function summarize(records: readonly EpisodeRecord[], decoders: readonly string[]): DecoderSummary[] {
  const suites = [...new Set(records.map((r) => r.suite))];
  const ar = new Map(records.filter((r) => r.decoder === 'ar').map((r) => [episodeKey(r), r]));
  const out: DecoderSummary[] = [];
  for (const suite of [...suites, 'all']) {
    const inSuite = records.filter((r) => suite === 'all' || r.suite === suite);
    const base = quantile(inSuite.filter((r) => r.decoder === decoders[0]).flatMap((r) => r.latencies), 0.5);
    for (const decoder of decoders) {
      const rs = inSuite.filter((r) => r.decoder === decoder);
      if (rs.length === 0) continue;
      const lat = rs.flatMap((r) => r.latencies);
      const actions = rs.reduce((n, r) => n + r.acceptLengths.length, 0);
      const paired = decoder === 'ar' ? [] : rs.flatMap((r) => (ar.has(episodeKey(r)) ? [coincidentErrors(r.actions, ar.get(episodeKey(r))!.actions)] : []));
      const median = quantile(lat, 0.5);
      out.push({
        suite,
        decoder,
        episodes: rs.length,
        success_rate: rs.filter((r) => r.success).length / rs.length,
        accept_length: mean(rs.flatMap((r) => r.acceptLengths)),
        target_forwards_per_action: mean(rs.flatMap((r) => r.targetForwards)),
        latency_median_ms: median,
        latency_p90_ms: quantile(lat, 0.9),
        speedup: base / median,
        action_error_vs_ar: paired.length ? mean(paired.flat()) : null,
        coincident_steps: paired.length ? mean(paired.map((e) => e.length)) : null,
        acceptance_by_position: Array.from({ length: 7 }, (_, k) => rs.reduce((n, r) => n + r.acceptedByPosition[k]!, 0) / Math.max(1, actions)),
      });
    }
  }
  return out;
}

export function formatSummary(rows: readonly DecoderSummary[]): string {
  const lines = ['suite    | decoder            | episodes | success | accept L | fwd/action | median ms | p90 ms | speedup | action err vs ar'];
  for (const r of rows) {
    const err = r.action_error_vs_ar === null ? '' : `${r.action_error_vs_ar.toFixed(4)} (${r.coincident_steps!.toFixed(0)} steps)`;
    lines.push(
      `${r.suite.padEnd(8)} | ${r.decoder.padEnd(18)} | ${String(r.episodes).padStart(8)} | ${(100 * r.success_rate).toFixed(1).padStart(6)}% | ${r.accept_length.toFixed(2).padStart(8)} | ${r.target_forwards_per_action.toFixed(2).padStart(10)} | ${r.latency_median_ms.toFixed(1).padStart(9)} | ${r.latency_p90_ms.toFixed(1).padStart(6)} | ${r.speedup.toFixed(2).padStart(6)}x | ${err}`,
    );
  }
  return lines.join('\n');
}
