import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { VlaPolicy, writeTinyCheckpoint } from '../model/index.js';
import { vectorIsa } from '../ops/index.js';
import { SUITES, type SuiteName } from '../sim/index.js';
import { randomDraftWeights, saveDraftHead } from '../spec/index.js';
import { duration, parseSuites, positiveInt } from './cli-args.js';
import { EpisodeRunner, evalJobs, runEvaluation, type EpisodeRecord } from './eval.js';
import { suiteModel, suiteModelGroups } from './model-set.js';
import { formatSummary, summarize, type DecoderSummary } from './eval-summary.js';
import { comparisonGif, reportPlots, sweepDecoders, writeReport, type EpisodeGif } from './report.js';

/** The shipped default model set (see `suiteModel`): models/default at the package root. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/default', import.meta.url));

export interface EvaluateOptions {
  /** A model folder, or a model set with a pair per suite (`suiteModel`). */
  model: string;
  /** The draft head for every suite, instead of the model set's. */
  draft?: string;
  suites: SuiteName[];
  decoders: string[];
  trials: number;
  tasks: number;
  workers: number;
  unnormKey?: string;
  log?: string;
  json?: string;
  report?: string;
  /** Radii of a relaxation sweep (decoders are then ar + relaxed:r). */
  sweep?: number[];
  /** Side-by-side GIFs to record for the report. */
  gifs?: number;
  command: string;
}

/** One line of progress on stderr: a bar, episodes done, success so far, ETA from this run's pace. */
function progress(): (e: EpisodeRecord, done: number, total: number) => void {
  const t0 = performance.now();
  let first = -1;
  let ok = 0;
  let n = 0;
  return (e, done, total) => {
    if (first < 0) first = done - 1;
    n++;
    if (e.success) ok++;
    const rate = (performance.now() - t0) / 1000 / (done - first);
    const width = 24;
    const filled = Math.round((width * done) / total);
    process.stderr.write(`\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} episodes  success ${((100 * ok) / n).toFixed(0)}%  ETA ${duration(rate * (total - done))}  (${e.suite} ${e.task}/${e.init} ${e.decoder})   `);
  };
}

export function machineLine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'} (${vectorIsa()}), ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** Runs an evaluation, prints the table, writes the JSON summary and the HTML report as asked. */
export async function evaluate(o: EvaluateOptions): Promise<{ rows: DecoderSummary[]; page?: string }> {
  const decoders = o.sweep ? sweepDecoders(o.sweep) : o.decoders;
  const needsDraft = decoders.some((d) => d !== 'ar');
  const groups = suiteModelGroups(o.model, o.suites, o.draft);
  for (const { pair } of groups) {
    if (needsDraft && !(pair.draft && existsSync(join(pair.draft, 'config.json')))) throw new Error(`${pair.draft ?? o.model}: no draft head for ${pair.model} (pass --draft DIR, or only --decoders ar)`);
  }
  const total = evalJobs({ ...o, decoders }).length;
  console.error(`${total} episodes (${o.suites.join(', ')}; ${o.tasks} tasks x ${o.trials} initial states x ${decoders.join(', ')}) on ${Math.min(o.workers, total)} worker(s)${o.log ? `, log ${o.log}` : ''}`);
  const records: EpisodeRecord[] = [];
  for (const { pair, suites } of groups) {
    if (groups.length > 1) console.error(`${suites.join(', ')}: ${pair.model}`);
    records.push(...(await runEvaluation({ model: pair.model, draft: needsDraft ? pair.draft : undefined, suites, decoders, trials: o.trials, tasks: o.tasks, unnormKey: o.unnormKey, log: o.log, workers: o.workers, onEpisode: progress() })));
    process.stderr.write('\n');
  }
  const rows = summarize(records, decoders);
  console.log(formatSummary(rows));
  if (o.json) writeFileSync(o.json, JSON.stringify({ command: o.command, machine: machineLine(), rows }, null, 2));
  if (!o.report) return { rows };
  mkdirSync(o.report, { recursive: true });
  const gifs: EpisodeGif[] = [];
  const other = decoders.find((d) => d.startsWith('relaxed')) ?? decoders[1];
  if ((o.gifs ?? 2) > 0 && other) {
    console.error(`recording ${o.gifs ?? 2} episode GIF(s): ar vs ${other}`);
    for (const suite of o.suites.slice(0, o.gifs ?? 2)) {
      const pair = suiteModel(o.model, suite, o.draft);
      const runner = await EpisodeRunner.create(pair.model, pair.draft, ['ar', other], o.unnormKey);
      gifs.push(await comparisonGif(runner, { suite, task: 0, init: 0, decoder: 'ar' }, other, o.report));
    }
  }
  const page = writeReport(o.report, { title: 'spec-vla evaluation', command: o.command, machine: machineLine(), rows, plots: reportPlots(rows, o.sweep), gifs });
  console.log(`report: ${page}`);
  return { rows, page };
}

function sweep(value: string): number[] {
  const m = /^r=([0-9]+(?:,[0-9]+)*)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected r=R1,R2,... (e.g. r=0,1,3,5,9,15), got "${value}"`);
  return m[1]!.split(',').map(Number);
}

/** Decoder specs separated by commas, semicolons or spaces (a comma before a digit belongs to a tree shape: relaxed:9@4,2,9). */
export const decoderList = (value: string) => value.split(/\s*[;,]\s*(?![0-9])|\s+/).filter(Boolean);

/** `spec-vla eval` and `spec-vla demo`. */
export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description(
      'Run a VLA with several decoders on the same initial states of the benchmark suites, in parallel worker processes: success rate, accept length, target forwards per action, per-action latency (median, p90; warm-up excluded), speedup against the first decoder, and the action error against ar. Each episode is appended to --log, so an interrupted run resumes.',
    )
    .option('--model <dir>', 'VLA checkpoint folder, or a model set with a target/ + draft/ pair for every suite and <suite>/target/ + <suite>/draft/ for a suite with its own fine-tune', DEFAULT_MODEL_DIR)
    .option('--draft <dir>', "draft head folder (needed for strict and relaxed; default: the model set's)")
    .option('--suite <names>', `${SUITES.join(', ')}, a comma-separated list, or all`, parseSuites, [...SUITES])
    .option('--decoders <list>', 'decoder specs separated by commas, semicolons or spaces; the first is the speedup baseline', decoderList, ['ar', 'strict', 'relaxed:9'])
    .option('--sweep <r=list>', 'relaxation sweep instead of --decoders: ar and relaxed:r for each r, plotted against r (e.g. r=0,1,3,5,9,15)', sweep)
    .option('--trials <n>', 'initial states per task (0..n-1, at most 50)', positiveInt, 10)
    .option('--tasks <n>', 'tasks per suite (the first n, at most 10)', positiveInt, 10)
    .option('--workers <n>', 'worker processes, each single-threaded (1: in this process, all cores)', positiveInt, availableParallelism())
    .option('--unnorm-key <key>', 'norm_stats entry to un-normalize with')
    .option('--log <file>', 'JSON-lines episode log (resume file)')
    .option('--json <file>', 'write the summary (per suite and decoder) as JSON here')
    .option('--report <dir>', 'write an HTML report here: table, charts (sweep, per-position acceptance, success), episode GIFs')
    .action(async (o: { model: string; draft?: string; suite: SuiteName[]; decoders: string[]; sweep?: number[]; trials: number; tasks: number; workers: number; unnormKey?: string; log?: string; json?: string; report?: string }) => {
      if (o.trials > 50) throw new InvalidArgumentError('--trials: the benchmark has 50 initial states per task');
      if (o.tasks > 10) throw new InvalidArgumentError('--tasks: each suite has 10 tasks');
      await evaluate({ ...o, suites: o.suite, command: `spec-vla ${process.argv.slice(2).join(' ')}` });
    });

  program
    .command('demo')
    .description('The main job, offline, in a few minutes: the default VLA and its draft head (models/default; a random pair when absent) on a few tasks of every suite with ar, strict, relaxed:9 (the paper method) and relaxed:9+prior (the previous action tokens verified in the prefill) side by side; prints the table and writes an HTML report.')
    .option('--tasks <n>', 'tasks per suite', positiveInt, 2)
    .option('--trials <n>', 'initial states per task', positiveInt, 2)
    .option('--workers <n>', 'worker processes', positiveInt, availableParallelism())
    .option('--out <dir>', 'folder for the episode log and the report', join(tmpdir(), 'spec-vla-demo'))
    .action(async (o: { tasks: number; trials: number; workers: number; out: string }) => {
      let model = DEFAULT_MODEL_DIR;
      let draft: string | undefined;
      const decoders = ['ar', 'strict', 'relaxed:9', 'relaxed:9+prior'];
      mkdirSync(o.out, { recursive: true });
      if (!existsSync(join(model, 'target', 'config.json')) || !existsSync(join(model, 'draft', 'config.json'))) {
        // No trained pair in this checkout: show the mechanism on random weights, and say so.
        model = join(o.out, 'random-target');
        draft = join(o.out, 'random-draft');
        if (!existsSync(join(draft, 'config.json'))) {
          writeTinyCheckpoint(model, { seed: 1, hidden: 256, layers: 8, imageSize: 64, patchSize: 16, dtype: 'BF16' });
          saveDraftHead(draft, VlaPolicy.load(model).llm, randomDraftWeights(VlaPolicy.load(model).llm, 2));
        }
        decoders.push('relaxed:255@4,1,5');
        console.error(`no trained default model at ${DEFAULT_MODEL_DIR} (reproduce it with "bash scripts/train-default.sh"): running a random target and draft instead. They solve nothing and the draft is rarely accepted; relaxed:255 accepts every drafted action token and shows the mechanism at full acceptance.`);
      }
      await evaluate({
        model,
        draft,
        suites: [...SUITES],
        decoders,
        trials: o.trials,
        tasks: o.tasks,
        workers: o.workers,
        log: join(o.out, 'episodes.jsonl'),
        json: join(o.out, 'summary.json'),
        report: join(o.out, 'report'),
        gifs: 2,
        command: `spec-vla ${process.argv.slice(2).join(' ')}`,
      });
    });
}
