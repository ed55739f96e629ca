import { fork } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { VlaPolicy, type ActionDecoder, type RgbImage } from '../model/index.js';
import { getTask, runEpisode, suiteTasks, TabletopEnv, type SuiteName } from '../sim/index.js';
import { createDecoder, loadDraftHead } from '../spec/index.js';
import { vlaEnvOptions, vlaSimPolicy } from './sim-policy.js';

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
  /**
   * Worker processes (default: one per core). Each runs its kernels on one thread
   * (OMP_NUM_THREADS=1), so workers do not stall each other's thread teams; 1 runs in this process
   * with the kernels' full thread team.
   */
  workers?: number;
  onEpisode?: (e: EpisodeRecord, done: number, total: number) => void;
}

/** One episode to run: a decoder on an initial state of a task. */
export interface EvalJob {
  suite: SuiteName;
  task: number;
  init: number;
  decoder: string;
}

export interface EpisodeRecord extends EvalJob {
  success: boolean;
  steps: number;
  /** Per action: latency ms (warm-up excluded), accept length, target forwards. */
  latencies: number[];
  acceptLengths: number[];
  targetForwards: number[];
  /** Per action-token position (0..6): in how many of this episode's actions it was an accepted draft token. */
  acceptedByPosition: number[];
  /** The normalized action (bin centers in [-1, 1]) of every step, for the action error against ar. */
  actions: number[][];
}

/** What the parent sends a worker process, and what it answers. */
export type WorkerRequest = { kind: 'init'; model: string; draft?: string; decoders: string[]; unnormKey?: string; warmup?: number } | { kind: 'job'; job: EvalJob } | { kind: 'exit' };
export type WorkerReply = { kind: 'ready' } | { kind: 'record'; record: EpisodeRecord } | { kind: 'error'; message: string };

export const jobKey = (r: EvalJob) => `${r.suite}/${r.task}/${r.init}/${r.decoder}`;

/** The episodes of an evaluation, decoders interleaved per initial state (so drift hits all alike). */
export function evalJobs(opts: Pick<EvalOptions, 'suites' | 'decoders' | 'trials' | 'tasks'>): EvalJob[] {
  return opts.suites.flatMap((suite) =>
    suiteTasks(suite)
      .slice(0, opts.tasks ?? 10)
      .flatMap((task) => Array.from({ length: opts.trials }, (_, init) => opts.decoders.map((decoder) => ({ suite, task: task.index, init, decoder }))).flat()),
  );
}

/** A loaded model, its decoders and a simulator: runs episodes one at a time (in a worker or in-process). */
export class EpisodeRunner {
  private constructor(
    readonly vla: VlaPolicy,
    private readonly decoders: Map<string, ActionDecoder>,
    private readonly env: TabletopEnv,
    private readonly unnormKey: string | undefined,
    private readonly warmup: number,
  ) {}

  static async create(model: string, draft: string | undefined, decoders: readonly string[], unnormKey?: string, warmup = 2): Promise<EpisodeRunner> {
    const vla = VlaPolicy.load(model);
    const head = draft ? loadDraftHead(draft, vla.llm) : undefined;
    const byName = new Map(decoders.map((d) => [d, createDecoder(vla, d, head)] as const));
    return new EpisodeRunner(vla, byName, await TabletopEnv.create(vlaEnvOptions(vla)), unnormKey, warmup);
  }

  private decoder(name: string): ActionDecoder {
    const d = this.decoders.get(name);
    if (!d) throw new Error(`decoder "${name}" was not loaded`);
    return d;
  }

  /** The episode through the VLA with the job's decoder; `record` keeps the frames. */
  private async play(job: EvalJob, record: boolean) {
    const sim = vlaSimPolicy(this.vla, this.decoder(job.decoder), this.unnormKey);
    return { ...sim, episode: await runEpisode(this.env, getTask(job.suite, job.task), job.init, sim.policy, { record }) };
  }

  async run(job: EvalJob): Promise<EpisodeRecord> {
    const { episode: r, stats, latencyMs, normalized } = await this.play(job, false);
    const acceptedByPosition = new Array<number>(7).fill(0);
    for (const s of stats) s.accepted.forEach((a, k) => (acceptedByPosition[k]! += a ? 1 : 0));
    return {
      ...job,
      success: r.success,
      steps: r.steps,
      latencies: latencyMs.slice(this.warmup),
      acceptLengths: stats.map((s) => s.acceptLength),
      targetForwards: stats.map((s) => s.targetForwards),
      acceptedByPosition,
      actions: normalized.map((a) => a.map((x) => Math.round(x * 1e6) / 1e6)),
    };
  }

  /** The episode again with its agent-view frames (for GIFs). */
  async frames(job: EvalJob): Promise<{ frames: RgbImage[]; success: boolean }> {
    const { episode } = await this.play(job, true);
    return { frames: episode.frames, success: episode.success };
  }
}

function readLog(path: string): EpisodeRecord[] {
  if (!existsSync(path)) return [];
  const out: EpisodeRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as EpisodeRecord);
    } catch {
      // A run killed mid-write leaves a partial last line: that episode simply runs again.
      if (i < lines.length - 2) throw new Error(`${path}:${i + 1}: not a JSON episode record`);
    }
  });
  return out;
}

/**
 * Runs every decoder on the same initial states of the same tasks, in worker processes (or in this
 * one), appending each finished episode to the log so an interrupted evaluation resumes where it
 * stopped. Returns the records of this evaluation's episodes, old and new.
 */
export async function runEvaluation(opts: EvalOptions): Promise<EpisodeRecord[]> {
  const jobs = evalJobs(opts);
  const wanted = new Set(jobs.map(jobKey));
  const byKey = new Map<string, EpisodeRecord>();
  for (const r of opts.log ? readLog(opts.log) : []) if (wanted.has(jobKey(r))) byKey.set(jobKey(r), r);
  const pending = jobs.filter((j) => !byKey.has(jobKey(j)));
  let done = jobs.length - pending.length;
  const onRecord = (rec: EpisodeRecord) => {
    byKey.set(jobKey(rec), rec);
    if (opts.log) appendFileSync(opts.log, JSON.stringify(rec) + '\n');
    opts.onEpisode?.(rec, ++done, jobs.length);
  };
  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), pending.length));
  if (pending.length > 0 && workers === 1) {
    const runner = await EpisodeRunner.create(opts.model, opts.draft, opts.decoders, opts.unnormKey, opts.warmup);
    for (const job of pending) onRecord(await runner.run(job));
  } else if (pending.length > 0) {
    await runInWorkers(opts, pending, workers, onRecord);
  }
  return jobs.flatMap((j) => byKey.get(jobKey(j)) ?? []);
}

/** Hands jobs out one at a time to `n` worker processes until none are left. */
function runInWorkers(opts: EvalOptions, pending: EvalJob[], n: number, onRecord: (r: EpisodeRecord) => void): Promise<void> {
  const queue = [...pending];
  const script = new URL('./eval-worker.js', import.meta.url);
  return new Promise((resolve, reject) => {
    let live = n;
    let failed = false;
    const children = Array.from({ length: n }, () => fork(script, [], { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const c of children) c.kill();
      reject(e);
    };
    for (const child of children) {
      const next = () => {
        const job = queue.shift();
        child.send((job ? { kind: 'job', job } : { kind: 'exit' }) satisfies WorkerRequest);
      };
      child.on('message', (m: WorkerReply) => {
        if (m.kind === 'error') return fail(new Error(`evaluation worker: ${m.message}`));
        if (m.kind === 'record') onRecord(m.record);
        next();
      });
      child.on('exit', (code) => {
        if (code !== 0 && !failed) return fail(new Error(`evaluation worker exited with code ${code}`));
        if (--live === 0 && !failed) resolve();
      });
      child.send({ kind: 'init', model: opts.model, draft: opts.draft, decoders: opts.decoders, unnormKey: opts.unnormKey, warmup: opts.warmup } satisfies WorkerRequest);
    }
  });
}
