/**
 * Load test of the policy server on loopback: N concurrent clients each send M OpenVLA-style
 * POST /act requests (224x224x3 json_numpy image + instruction) to a server in a child process.
 * Reports errors, latency percentiles, throughput and the server's RSS across the run (sampled from
 * its /metrics every 250 ms), then stops the server with SIGTERM and checks it exits cleanly.
 *
 * Usage: npx tsc -p . && node dist/bench/serve-load.js [--clients 8] [--requests 200] [--warmup 25]
 *          [--model DIR] [--draft DIR] [--decoder SPEC] [--tiny] [--time-limit-s 600] [--json]
 * Without --model it serves the shipped default model (models/default) with relaxed:9, or with
 * --tiny (or when the default model is absent) a tiny random OpenVLA-layout checkpoint written to
 * a temporary folder: the real VlaPolicy code path, with toy sizes.
 * Exit status 0 only with 0 errors, every request answered within the time limit, RSS growth < 10%
 * and a clean shutdown.
 */
import './args.js';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTinyCheckpoint, type RgbImage } from '../src/model/index.js';
import { actPayload } from '../src/apps/server/client.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { decodeJsonNumpy, toFloat64 } from '../src/apps/server/json-numpy.js';
import { PolicyServer } from '../src/apps/server/server.js';
import { WorkerPolicy } from '../src/apps/server/worker-policy.js';

const args = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
function intOpt(name: string, fallback: number, max: number): number {
  const v = opt(name);
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name} must be an integer from 0 to ${max}, got ${v}`);
  return n;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`${series} missing from /metrics`);
  return Number(line.slice(series.length + 1));
}

function observation(seed: number): RgbImage {
  return { width: 224, height: 224, data: Uint8Array.from({ length: 224 * 224 * 3 }, (_, i) => ((i * 2654435761) ^ (seed * 40503)) >>> 24) };
}

const INSTRUCTIONS = ['pick up the black bowl and place it on the plate', 'open the top drawer of the cabinet', 'put the cream cheese in the bowl', 'turn on the stove'];

async function main(): Promise<void> {
  const clients = intOpt('clients', 8, 256);
  const perClient = intOpt('requests', 200, 100_000);
  const warmup = intOpt('warmup', 25, 10_000);
  const timeLimitMs = intOpt('time-limit-s', 600, 86_400) * 1000;
  let model = opt('model');
  let draft = opt('draft');
  let decoderSpec = opt('decoder') ?? 'ar';
  let tmp: string | undefined;
  let modelNote = model ?? '';
  if (!model && !args.includes('--tiny') && existsSync(join(DEFAULT_MODEL_DIR, 'target', 'config.json'))) {
    model = join(DEFAULT_MODEL_DIR, 'target');
    draft = join(DEFAULT_MODEL_DIR, 'draft');
    decoderSpec = opt('decoder') ?? 'relaxed:9';
    modelNote = `the shipped default model (${DEFAULT_MODEL_DIR})`;
  } else if (!model) {
    tmp = mkdtempSync(join(tmpdir(), 'spec-vla-serve-load-'));
    model = join(tmp, 'model');
    writeTinyCheckpoint(model, { seed: 1 });
    modelNote = `tiny random OpenVLA-layout checkpoint (writeTinyCheckpoint defaults, seed 1) in ${model}`;
  }
  const childArgs = ['--child', '--model', model, ...(draft ? ['--draft', draft] : []), '--decoder', decoderSpec];
  const child = fork(fileURLToPath(import.meta.url), childArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const { url, decoder } = await new Promise<{ url: string; decoder: string }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { url: string; decoder: string }));
      child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
    });
    console.error(`server ${url}: ${modelNote}, decoder ${decoder}`);

    const bodies = Array.from({ length: clients }, (_, c) => JSON.stringify(actPayload(observation(c), INSTRUCTIONS[c % INSTRUCTIONS.length]!)));
    const deadline = performance.now() + timeLimitMs;
    const errors: string[] = [];
    const latencies: number[] = [];
    let answered = 0;

    async function one(body: string, record: boolean): Promise<void> {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const json: unknown = await res.json();
        if (res.status !== 200) throw new Error(`HTTP ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
        const action = toFloat64(decodeJsonNumpy(json, 'action'));
        if (action.length !== 7 || action.some((x) => !Number.isFinite(x))) throw new Error(`bad action ${JSON.stringify([...action])}`);
      } catch (e) {
        errors.push((e as Error).message);
      }
      answered++;
      if (record) latencies.push(performance.now() - t0);
    }
    async function client(c: number, count: number, record: boolean): Promise<void> {
      for (let i = 0; i < count && performance.now() < deadline; i++) await one(bodies[c]!, record);
    }

    await Promise.all(Array.from({ length: clients }, (_, c) => client(c, warmup, false)));
    const rssStart = await metric(url, 'process_resident_memory_bytes');
    const rss: number[] = [rssStart];
    const sampler = setInterval(() => void metric(url, 'process_resident_memory_bytes').then((v) => rss.push(v), () => {}), 250);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c, perClient, true)));
    const wallS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const rssEnd = await metric(url, 'process_resident_memory_bytes');
    rss.push(rssEnd);
    const served = await metric(url, 'specvla_http_requests_total{route="/act",status="200"}');
    const inferenceMs = (1000 * (await metric(url, 'specvla_inference_duration_seconds_sum'))) / (await metric(url, 'specvla_inference_duration_seconds_count'));
    const acceptLength = (await metric(url, 'specvla_accept_length_sum')) / (await metric(url, 'specvla_accept_length_count'));

    child.kill('SIGTERM');
    const exitCode = await exited;
    const sorted = [...latencies].sort((a, b) => a - b);
    const expected = clients * perClient;
    // Single samples swing by tens of MiB with GC timing (150 KiB request buffers), so flatness is
    // judged on the median of the first quarter of the samples against the median of the last quarter.
    const quarter = Math.max(1, Math.floor(rss.length / 4));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rssEarly = median(rss.slice(0, quarter));
    const rssLate = median(rss.slice(-quarter));
    const growth = rssLate / rssEarly - 1;
    const result = {
      model: modelNote,
      decoder,
      clients,
      requests_per_client: perClient,
      warmup_per_client: warmup,
      requests: latencies.length,
      expected_requests: expected,
      errors: errors.length,
      server_counted_200: served,
      wall_s: wallS,
      throughput_rps: latencies.length / wallS,
      latency_ms: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN },
      inference_ms_mean: inferenceMs,
      accept_length_mean: acceptLength,
      rss_mb: { after_warmup: rssStart / 2 ** 20, end: rssEnd / 2 ** 20, peak: Math.max(...rss) / 2 ** 20, first_quarter_median: rssEarly / 2 ** 20, last_quarter_median: rssLate / 2 ** 20, samples: rss.length },
      rss_growth_pct: 100 * growth,
      server_exit_code: exitCode,
    };
    const failures = [
      errors.length > 0 && `${errors.length} errors`,
      latencies.length !== expected && `${expected - latencies.length} requests not sent within the time limit`,
      served !== expected + clients * warmup && `the server counted ${served} answers, not ${expected + clients * warmup}`,
      growth >= 0.1 && `RSS grew ${(100 * growth).toFixed(1)}% (short runs with little warm-up measure heap growth, not leaks)`,
      exitCode !== 0 && `the server exited with ${exitCode} after SIGTERM`,
    ].filter((f): f is string => typeof f === 'string');
    const pass = failures.length === 0;
    if (args.includes('--json')) console.log(JSON.stringify({ ...result, pass, failures, first_errors: errors.slice(0, 5) }, null, 2));
    else {
      const f = (x: number) => x.toFixed(1);
      console.log(`model        ${result.model}`);
      console.log(`load         ${clients} clients x ${perClient} requests (+${warmup} warm-up each) on loopback, decoder ${decoder}`);
      console.log(`answered     ${latencies.length}/${expected}, errors ${errors.length}, server counted ${served} x 200 on /act (warm-up included)`);
      console.log(`latency      p50 ${f(result.latency_ms.p50)} ms, p90 ${f(result.latency_ms.p90)} ms, p99 ${f(result.latency_ms.p99)} ms, max ${f(result.latency_ms.max)} ms`);
      console.log(`throughput   ${f(result.throughput_rps)} requests/s over ${f(wallS)} s; mean inference ${f(inferenceMs)} ms (one request on the model at a time), accept length ${acceptLength.toFixed(2)}`);
      console.log(`server RSS   median ${f(result.rss_mb.first_quarter_median)} MiB over the first quarter of the run -> ${f(result.rss_mb.last_quarter_median)} MiB over the last: ${result.rss_growth_pct >= 0 ? '+' : ''}${result.rss_growth_pct.toFixed(1)}%`);
      console.log(`             (${rss.length} samples every 250 ms; after warm-up ${f(result.rss_mb.after_warmup)}, end ${f(result.rss_mb.end)}, peak ${f(result.rss_mb.peak)} MiB)`);
      console.log(`shutdown     SIGTERM -> exit code ${exitCode}`);
      for (const e of errors.slice(0, 5)) console.log(`error        ${e}`);
      console.log(pass ? 'PASS: 0 errors, RSS growth < 10%, clean shutdown' : `FAIL: ${failures.join('; ')}`);
    }
    process.exitCode = pass ? 0 : 1;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

if (args[0] === '--child') {
  // The server side, set up as `spec-vla serve` does (model in a worker thread), in its own process
  // so its memory is measured apart from the load generator's.
  const policy = await WorkerPolicy.start({ model: opt('model')!, draft: opt('draft'), decoder: opt('decoder') ?? 'ar' });
  const server = new PolicyServer({ policy, queueCapacity: 64 });
  const url = await server.listen('127.0.0.1', 0);
  process.send!({ url, decoder: policy.description.decoder });
  process.once('SIGTERM', () => void server.close().then(() => policy.close()).then(() => process.exit(0)));
} else {
  await main();
}
