/**
 * The full table: the default model set (or --model/--draft; see suiteModel) on all four suites, 10 tasks x --trials
 * initial states, with ar, strict, relaxed:9 and relaxed:9+prior; writes docs/NAME.md (command, machine, commit,
 * numbers, the issue's targets checked) and the HTML report under docs/NAME/, NAME being --name
 * (default results). Resumable: the episode log lives in runs/NAME/episodes.jsonl, so after a kill
 * the same command continues. Hours of work: run it in the background.
 *
 * --suite runs fewer suites (the table of a suite's own fine-tune in a model set).
 *
 * Usage: npx tsc -p . && nohup node dist/bench/results.js [--trials 10] [--workers 2] [--name results]
 *          [--model DIR --draft DIR] [--suite all] [--decoders ar,strict,relaxed:9,relaxed:9+prior] > runs/results.log 2>&1 &
 */
import { execSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { benchOption } from './args.js';
import { decoderList, DEFAULT_MODEL_DIR, evaluate, machineLine } from '../src/apps/eval-command.js';
import { suiteModelGroups } from '../src/apps/model-set.js';
import { parseSuites } from '../src/apps/cli-args.js';
import type { DecoderSummary } from '../src/apps/eval-summary.js';
import { SUITES } from '../src/sim/index.js';

const args = process.argv.slice(2);
const trials = Number(benchOption('trials', '10'));
const workers = Number(benchOption('workers', String(availableParallelism())));
if (!Number.isInteger(trials) || trials < 1 || trials > 50) throw new Error('--trials must be 1..50');
if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer');
const model = relative(process.cwd(), benchOption('model', DEFAULT_MODEL_DIR));
const draft = benchOption('draft', '') || undefined;
const suites = parseSuites(benchOption('suite', 'all'));
const decoders = decoderList(benchOption('decoders', 'ar,strict,relaxed:9,relaxed:9+prior'));
const name = benchOption('name', 'results');
if (!/^[\w.-]+$/.test(name)) throw new Error('--name must be a plain file name (letters, digits, . _ -)');

mkdirSync(`runs/${name}`, { recursive: true });
const command = `node dist/bench/results.js ${args.join(' ')}`.trim();
const started = new Date().toISOString();
// Read before the hours of evaluation: the code that runs is the code checked out now.
let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout: the commit stays unknown
}
const { rows } = await evaluate({ model, draft, suites, decoders, trials, tasks: 10, workers, log: `runs/${name}/episodes.jsonl`, json: `runs/${name}/summary.json`, report: `docs/${name}`, gifs: 2, command });

const get = (suite: string, decoder: string) => rows.find((r) => r.suite === suite && r.decoder === decoder);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const line = (r: DecoderSummary) =>
  `| ${r.suite} | ${r.decoder} | ${r.episodes} | ${pct(r.success_rate)} | ${r.accept_length.toFixed(2)} | ${r.target_forwards_per_action.toFixed(2)} | ${r.latency_median_ms.toFixed(1)} | ${r.latency_p90_ms.toFixed(1)} | ${r.speedup.toFixed(2)}x | ${r.action_error_vs_ar === null ? '' : r.action_error_vs_ar.toFixed(4)} |`;
const checks: string[] = [];
const strict = decoders.find((d) => d.startsWith('strict'));
const ar = get('all', 'ar');
for (const relaxed of decoders.filter((d) => d.startsWith('relaxed'))) {
  const r = get('all', relaxed);
  if (!ar || !r) continue;
  const drop = 100 * (ar.success_rate - r.success_rate);
  checks.push(`- ${relaxed}: success within 3 points of ar on average: ${pct(r.success_rate)} vs ${pct(ar.success_rate)} (${drop.toFixed(1)} points lower) -> ${drop <= 3 ? 'met' : 'NOT met'}`);
  checks.push(`- ${relaxed}: speedup >= 1.5x per action (goal 2x): ${r.speedup.toFixed(2)}x -> ${r.speedup >= 1.5 ? 'met' : 'NOT met'}`);
}
if (strict) {
  const perSuite = suites.map((s) => get(s, strict)).filter((r): r is DecoderSummary => !!r);
  checks.push(`- strict speedup > 1.0x on every suite: ${perSuite.map((r) => `${r.suite} ${r.speedup.toFixed(2)}x`).join(', ')} -> ${perSuite.every((r) => r.speedup > 1) ? 'met' : 'NOT met'}`);
}
const scope = suites.length === SUITES.length ? (trials === 10 ? 'the full table' : 'all suites') : suites.join(', ');
const md = `# Results: ${scope}, ${trials} initial states per task

Produced by \`${command}\` (started ${started}, commit ${commit}).
Machine: ${machineLine()}; ${workers} worker process(es), each on one thread (OMP_NUM_THREADS=1), so latencies are one-core latencies.
Models by suite: ${suiteModelGroups(model, suites, draft).map(({ pair, suites: group }) => `${group.join(', ')}: model \`${pair.model}\`, draft \`${pair.draft}\``).join('; ')}. Every decoder ran the same ${trials} initial states of each of the 10 tasks per suite.

| suite | decoder | episodes | success | accept L | target fwd / action | median ms | p90 ms | speedup | action error vs ar |
|---|---|---|---|---|---|---|---|---|---|
${rows.map(line).join('\n')}

Speedup: ar's median per-action latency over the decoder's (vision, prefill and decoding; warm-up actions excluded).
Action error vs ar: mean |a - a_ar| of the normalized actions ([-1, 1]) on the steps where the decoder saw exactly ar's observation.

## The evaluation issue's targets

${checks.join('\n')}

Charts and episode GIFs: [docs/${name}/index.html](${name}/index.html).
`;
writeFileSync(`docs/${name}.md.tmp`, md);
renameSync(`docs/${name}.md.tmp`, `docs/${name}.md`);
console.log(`wrote docs/${name}.md`);
