/**
 * Does bf16 for the image and the prompt change what the policy does? AR actions with `policy.bf16`
 * on and off on the same frames (every sixth frame of the expert's episode on state 0 of tasks 0, 3,
 * 6 and 9 of each suite): how many whole actions and tokens are identical, and the time of the vision
 * tower + prefill each way, side by side (one thread; the products are compute-bound, so the bound is
 * their FLOPs over twice the f32 FMA peak with bf16 dot products).
 *
 * Usage: npx tsc -p . && OMP_NUM_THREADS=1 node dist/bench/bf16-agreement.js [--model DIR]
 */
import { join } from 'node:path';
import { VlaPolicy } from '../src/model/index.js';
import { kernels, loadNative } from '../src/ops/index.js';
import { SUITES, TabletopEnv } from '../src/sim/index.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { quantile } from '../src/apps/quantile.js';
import { vlaEnvOptions } from '../src/apps/sim-policy.js';
import { benchOption } from './args.js';
import { expertFrames } from './expert-frames.js';

const model = benchOption('model', join(DEFAULT_MODEL_DIR, 'target'));
const vla = VlaPolicy.load(model);
if (!kernels().fastBf16) console.log('note: these kernels have no bf16 dot products (AVX512_BF16), so bf16 runs on the slow plain loop');
const env = await TabletopEnv.create(vlaEnvOptions(vla));
let frames = 0;
let promptRows = 0;
let sameActions = 0;
let sameTokens = 0;
const ms: Record<'f32' | 'bf16', number[]> = { f32: [], bf16: [] };
for await (const { task, frames: observations } of expertFrames(env, SUITES)) {
  // The prompt's length depends on the instruction alone.
  const first = observations[0]!;
  const rows = vla.prefix(vla.prepareImage(first.image), task.instruction, first.wrist && vla.prepareImage(first.wrist, {}, 'wrist')).rows;
  for (const obs of observations) {
    promptRows += rows;
    const run = (bf16: boolean) => {
      vla.bf16 = bf16;
      const out = vla.predictAction(obs.image, task.instruction, { wrist: obs.wrist });
      ms[bf16 ? 'bf16' : 'f32'].push(out.timings.visionMs + out.timings.prefillMs);
      return out.tokens;
    };
    const a = run(false);
    const b = run(true);
    frames++;
    if (a.join() === b.join()) sameActions++;
    sameTokens += a.filter((x, k) => x === b[k]).length;
  }
}
const med = (xs: number[]) => quantile(xs, 0.5);
// Multiply-adds of the linear layers over the image and the prompt (the last ViT block is never run).
const c = vla.llm.cfg;
const kv = (c.nKvHeads * c.hidden) / c.nHeads;
const visionMacs = vla.config.vision.reduce((s, v) => {
  const n = ((v.imageSize / v.patchSize) ** 2) + ((v.wristImageSize / v.patchSize) ** 2);
  return s + n * (3 * v.patchSize ** 2 * v.width + (v.depth - 1) * (4 * v.width ** 2 + 2 * v.width * v.mlpHidden));
}, 0);
const prefillMacs = (promptRows / frames) * c.nLayers * (2 * c.hidden ** 2 + 2 * c.hidden * kv + 3 * c.hidden * c.intermediate);
const peak = loadNative().addon?.peakGflops(5);
console.log(`model ${model}: ${frames} frames of expert episodes, all four suites`);
console.log(`identical AR actions with bf16 image + prompt: ${sameActions}/${frames} (tokens ${sameTokens}/${frames * 7})`);
console.log(`vision + prefill, median: f32 ${med(ms.f32).toFixed(2)} ms, bf16 ${med(ms.bf16).toFixed(2)} ms (${(med(ms.f32) / med(ms.bf16)).toFixed(2)}x)`);
const gflop = (2 * (visionMacs + prefillMacs)) / 1e9;
if (peak) console.log(`their linear layers: ${gflop.toFixed(2)} GFLOP (${(promptRows / frames).toFixed(1)} prompt rows on average); at the f32 FMA peak (${peak.toFixed(0)} GFLOP/s) ${((1000 * gflop) / peak).toFixed(2)} ms, at twice it (bf16) ${((1000 * gflop) / (2 * peak)).toFixed(2)} ms`);
