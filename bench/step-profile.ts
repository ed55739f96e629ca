/**
 * Where one action's time goes: vision + prefix, prefill and decoding per decoder (median over
 * --actions predictions along one expert trajectory, the same frames for every decoder, so that a
 * +prior decoder sees consecutive observations as it would in an episode), then for ar the time per kernel (calls, ms per
 * action) against the wall time, and the decode step against its memory bound (f32 weight bytes of
 * the decoder / read bandwidth). Also the cost curves tree sizing measures (verify and draft forwards
 * relative to one target token). The remainder after the kernels is the JavaScript around them.
 *
 * Usage: npx tsc -p . && node dist/bench/step-profile.js [--model DIR --draft DIR] [--actions 40]
 *          [--decoders ar,strict,relaxed:9,relaxed:9+prior]
 */
import { join } from 'node:path';
import { VlaPolicy } from '../src/model/index.js';
import { loadNative, profileKernels } from '../src/ops/index.js';
import { expertPolicy, getTask, runEpisode, TabletopEnv } from '../src/sim/index.js';
import { createDecoder, loadDraftHead, measureCostCurves } from '../src/spec/index.js';
import { benchOption } from './args.js';
import { decoderList, DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { quantile } from '../src/apps/quantile.js';
import { vlaEnvOptions } from '../src/apps/sim-policy.js';

const model = benchOption('model', join(DEFAULT_MODEL_DIR, 'target'));
const draftDir = benchOption('draft', join(DEFAULT_MODEL_DIR, 'draft'));
const actions = Number(benchOption('actions', '40'));
const decoders = decoderList(benchOption('decoders', 'ar,strict,relaxed:9,relaxed:9+prior'));

const vla = VlaPolicy.load(model);
const draft = decoders.some((d) => d !== 'ar') ? loadDraftHead(draftDir, vla.llm) : undefined;
const env = await TabletopEnv.create(vlaEnvOptions(vla));
const task = getTask('spatial', 0);
const episode = await runEpisode(env, task, 0, expertPolicy(env, task, 0), { record: true });
const frames = Array.from({ length: actions + 5 }, (_, i) => episode.observations[i % episode.observations.length]!);
const first = frames[0]!;

console.log(`model ${model}; the first ${actions + 5} frames of the expert's episode on ${task.suite} task 0, one action per frame and decoder (medians; 5 warm-up actions first)`);
console.log('decoder            | vision ms | prefill ms | decode ms (draft + verify) | total ms | target fwd | accept L');
for (const spec of decoders) {
  const decoder = createDecoder(vla, spec, draft);
  const rows = frames.map((obs) => vla.predictAction(obs.image, task.instruction, { decoder, wrist: obs.wrist })).slice(5);
  const med = (f: (r: (typeof rows)[number]) => number) => quantile(rows.map(f), 0.5);
  console.log(
    `${spec.padEnd(18)} | ${med((r) => r.timings.visionMs).toFixed(2).padStart(9)} | ${med((r) => r.timings.prefillMs).toFixed(2).padStart(10)} | ${med((r) => r.timings.decodeMs).toFixed(2).padStart(9)} (${med((r) => r.stats.draftMs).toFixed(2).padStart(5)} + ${med((r) => r.stats.verifyMs).toFixed(2).padStart(5)}) | ${med((r) => r.timings.totalMs).toFixed(2).padStart(8)} | ${med((r) => r.stats.targetForwards).toFixed(0).padStart(10)} | ${med((r) => r.stats.acceptLength).toFixed(2).padStart(8)}`,
  );
}

if (draft) {
  // What tree sizing weighs: a verify forward of T tokens, and a draft round of K, over one target token.
  const curves = measureCostCurves(vla.llm, draft, vla.prefix(vla.prepareImage(first.image), task.instruction, first.wrist && vla.prepareImage(first.wrist, {}, 'wrist')), { first: vla.actionTokenizer.firstToken, count: 256 }, [1, 2, 4, 8, 16, 32], [1, 2, 4, 8], 10);
  const fmt = (m: Map<number, number>) => [...m].map(([n, r]) => `${n}: ${r.toFixed(2)}x`).join(', ');
  console.log(`\ncost curves (one target token ${curves.targetStepMs.toFixed(2)} ms): verify T tokens ${fmt(curves.target)}; draft round of K ${fmt(curves.draft)}`);
}

const totals = new Map<string, { calls: number; ms: number }>();
const ar = createDecoder(vla, 'ar');
for (let i = 0; i < 5; i++) vla.predictAction(first.image, task.instruction, { decoder: ar, wrist: first.wrist });
const restore = profileKernels(totals);
const t0 = performance.now();
for (let i = 0; i < actions; i++) vla.predictAction(first.image, task.instruction, { decoder: ar, wrist: first.wrist });
const wall = (performance.now() - t0) / actions;
restore();
const inKernels = [...totals.values()].reduce((s, e) => s + e.ms, 0) / actions;
console.log(`\nar, per action: ${wall.toFixed(2)} ms wall, ${inKernels.toFixed(2)} ms in kernels, ${(wall - inKernels).toFixed(2)} ms in JavaScript around them`);
console.log('kernel         | calls/action | ms/action | us/call');
for (const [name, e] of [...totals].filter(([, e]) => e.calls > 0).sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${name.padEnd(14)} | ${(e.calls / actions).toFixed(0).padStart(12)} | ${(e.ms / actions).toFixed(2).padStart(9)} | ${((1000 * e.ms) / e.calls).toFixed(1).padStart(7)}`);
}
const c = vla.llm.cfg;
const headDim = c.hidden / c.nHeads;
const layerParams = 2 * c.hidden * c.hidden + 2 * c.hidden * c.nKvHeads * headDim + 3 * c.hidden * c.intermediate;
const bytes = 4 * (c.nLayers * layerParams + c.vocabSize * c.hidden);
const gbps = loadNative().addon?.readBandwidth(256 << 20, 5);
if (gbps) console.log(`\ndecode step bound: ${(bytes / 2 ** 20).toFixed(1)} MiB of f32 weights / ${gbps.toFixed(1)} GB/s read = ${((bytes / (gbps * 1e9)) * 1000).toFixed(2)} ms`);
