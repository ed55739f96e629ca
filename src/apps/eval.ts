import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { VlaPolicy } from '../model/index.js';
import { getTask, runEpisode, suiteTasks, TabletopEnv, type SuiteName } from '../sim/index.js';
import { createDecoder, loadDraftHead } from '../spec/index.js';
import { vlaSimPolicy } from './sim-policy.js';
import { quantile } from './quantile.js';

export interface EvalOptions {
  model: string;
  draft?: string;
  suites: SuiteName[];
  /** Decoder specs; the first is the baseline for speedup (normally "ar"). */
  decoders: string[];
  /** Initial states per task (0..trials-1): every decoder runs the same ones. */
  trials: number;
  /** Tasks per suite (the first n), default all 10. */
  tasks?: number;
  unnormKey?: string;
  /** Episode results are appended here (JSON lines); a rerun skips the episodes already in it. */
  log?: string;
  /** Actions per episode excluded from latency (warm-up). */
  warmup?: number;
  onEpisode?: (e: EpisodeRecord, done: number, total: number) => void;
}

export interface EpisodeRecord {
  suite: string;
  task: number;
  init: number;
  decoder: string;
  success: boolean;
  steps: number;
  /** Per action: latency ms (warm-up excluded), accept length, target forwards. */
  latencies: number[];
  acceptLengths: number[];
  targetForwards: number[];
}

export interface DecoderSummary {
  suite: string;
  decoder: string;
  episodes: number;
  success_rate: number;
  accept_length: number;
  target_forwards_per_action: number;
  latency_median_ms: number;
  latency_p90_ms: number;
  speedup: number;
}

const key = (r: Pick<EpisodeRecord, 'suite' | 'task' | 'init' | 'decoder'>) => `${r.suite}/${r.task}/${r.init}/${r.decoder}`;


/**
 * Runs every decoder on the same initial states of the same tasks, one episode after another
 * (decoders interleaved per initial state, so drift hits all alike), appending each result to the
 * log so an interrupted evaluation resumes where it stopped.
 */
export async function runEvaluation(opts: EvalOptions): Promise<EpisodeRecord[]> {
  const vla = VlaPolicy.load(opts.model);
  const draft = opts.draft ? loadDraftHead(opts.draft, vla.llm) : undefined;
  const decoders = opts.decoders.map((d) => ({ spec: d, decoder: createDecoder(vla, d, draft) }));
  const env = await TabletopEnv.create(256);
  const records: EpisodeRecord[] = [];
  if (opts.log && existsSync(opts.log)) {
    for (const line of readFileSync(opts.log, 'utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as EpisodeRecord);
  }
  const done = new Set(records.map(key));
  const jobs = opts.suites.flatMap((suite) =>
    suiteTasks(suite)
      .slice(0, opts.tasks ?? 10)
      .flatMap((task) => Array.from({ length: opts.trials }, (_, init) => decoders.map((d) => ({ suite, task: task.index, init, ...d })))).flat(),
  );
  let count = 0;
  for (const job of jobs) {
    count++;
    if (done.has(key({ ...job, decoder: job.spec }))) continue;
    const task = getTask(job.suite, job.task);
    const { policy, stats, latencyMs } = vlaSimPolicy(vla, job.decoder, opts.unnormKey);
    const r = await runEpisode(env, task, job.init, policy);
    const warm = opts.warmup ?? 2;
    const rec: EpisodeRecord = {
      suite: job.suite,
      task: job.task,
      init: job.init,
      decoder: job.spec,
      success: r.success,
      steps: r.steps,
      latencies: latencyMs.slice(warm),
      acceptLengths: stats.map((s) => s.acceptLength),
      targetForwards: stats.map((s) => s.targetForwards),
    };
    records.push(rec);
    if (opts.log) appendFileSync(opts.log, JSON.stringify(rec) + '\n');
    opts.onEpisode?.(rec, count, jobs.length);
  }
  return records.filter((r) => opts.suites.includes(r.suite as SuiteName) && opts.decoders.includes(r.decoder));
}

/** Per suite and decoder: success, accept length, forwards, per-action latency and speedup vs the first decoder. */
export function summarize(records: readonly EpisodeRecord[], decoders: readonly string[]): DecoderSummary[] {
  const suites = [...new Set(records.map((r) => r.suite))];
  const out: DecoderSummary[] = [];
  for (const suite of [...suites, 'all']) {
    const inSuite = records.filter((r) => suite === 'all' || r.suite === suite);
    const base = quantile(inSuite.filter((r) => r.decoder === decoders[0]).flatMap((r) => r.latencies), 0.5);
    for (const decoder of decoders) {
      const rs = inSuite.filter((r) => r.decoder === decoder);
      if (rs.length === 0) continue;
      const lat = rs.flatMap((r) => r.latencies);
      const L = rs.flatMap((r) => r.acceptLengths);
      const F = rs.flatMap((r) => r.targetForwards);
      const median = quantile(lat, 0.5);
      out.push({
        suite,
        decoder,
        episodes: rs.length,
        success_rate: rs.filter((r) => r.success).length / rs.length,
        accept_length: L.reduce((a, b) => a + b, 0) / Math.max(1, L.length),
        target_forwards_per_action: F.reduce((a, b) => a + b, 0) / Math.max(1, F.length),
        latency_median_ms: median,
        latency_p90_ms: quantile(lat, 0.9),
        speedup: base / median,
      });
    }
  }
  return out;
}

export function formatSummary(rows: readonly DecoderSummary[]): string {
  const lines = ['suite    | decoder            | episodes | success | accept L | fwd/action | median ms | p90 ms | speedup'];
  for (const r of rows) {
    lines.push(
      `${r.suite.padEnd(8)} | ${r.decoder.padEnd(18)} | ${String(r.episodes).padStart(8)} | ${(100 * r.success_rate).toFixed(1).padStart(6)}% | ${r.accept_length.toFixed(2).padStart(8)} | ${r.target_forwards_per_action.toFixed(2).padStart(10)} | ${r.latency_median_ms.toFixed(1).padStart(9)} | ${r.latency_p90_ms.toFixed(1).padStart(6)} | ${r.speedup.toFixed(2).padStart(6)}x`,
    );
  }
  return lines.join('\n');
}
