/**
 * Training throughput of the default small VLA shape (DEFAULT_SMALL_VLA, its image head on) on
 * synthetic frames: samples per second, the time per kernel against the wall time (the remainder is
 * the JavaScript around the kernels: the tape, the heads, garbage collection), and the achieved
 * GFLOP/s against the machine's measured compute peak (forward FLOPs counted from the shapes, the
 * backward pass taken as twice the forward).
 *
 * Usage: npx tsc -p . && node dist/bench/train-step.js [--steps 20] [--batch 16]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative, profileKernels, seededRandom } from '../src/ops/index.js';
import { DEFAULT_SMALL_VLA, EpisodeStore, VlaTrainer, actionStats, toDatasetAction } from '../src/train/index.js';
import { benchOption } from './args.js';

const steps = Number(benchOption('steps', '20'));
const batch = Number(benchOption('batch', '16'));
if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(batch) || batch < 1) throw new Error('--steps and --batch must be positive integers');

const cfg = DEFAULT_SMALL_VLA;
const instructions = ['put the red block on the plate', 'pick up the blue can and place it in the basket'];
const dir = mkdtempSync(join(tmpdir(), 'spec-vla-train-step-'));
try {
  const store = EpisodeStore.open(join(dir, 'data'), { width: cfg.imageSize, height: cfg.imageSize });
  const rand = seededRandom(1);
  instructions.forEach((instruction, task) => {
    const frames = Array.from({ length: 20 }, () => Uint8Array.from({ length: cfg.imageSize * cfg.imageSize * 3 }, () => Math.floor(rand() * 256)));
    const actions = frames.map(() => Float32Array.from({ length: 7 }, (_, j) => (j === 6 ? (rand() < 0.5 ? -1 : 1) : j < 3 ? 0.4 * rand() - 0.2 : 0)));
    store.append({ suite: 'goal', task, init: 0, instruction, success: true, width: cfg.imageSize, height: cfg.imageSize, frames, actions });
  });
  const stats = actionStats(store.index.episodes.flatMap((e) => store.read(e).actions.map((a) => Float32Array.from(toDatasetAction(a)))));
  const trainer = new VlaTrainer(cfg, instructions, 1);
  const run = (name: string, n: number) => {
    let sps = 0;
    trainer.train([store], stats, join(dir, name), { steps: n, batch, lr: 1e-4, seed: 1, checkpointEvery: 1e9, unnormKey: 'bench', progressEvery: n, onProgress: (p) => (sps = p.samplesPerSec) });
    return sps;
  };
  run('warmup', 2);
  const totals = new Map<string, { calls: number; ms: number }>();
  const restore = profileKernels(totals);
  const t0 = performance.now();
  const samplesPerSec = run('timed', steps);
  const wallMs = (performance.now() - t0) / steps;
  restore();

  // Forward FLOPs of one sample, from the shapes (2 per multiply-add).
  const Tv = (cfg.imageSize / cfg.patchSize) ** 2;
  const D = cfg.vitWidth;
  const k = cfg.merge ?? 1;
  const tokens = Tv / (k * k);
  const L = 1 + tokens + trainer.tokenizer.promptIds(instructions[1]!).length - 1 + 6;
  const kv = (cfg.hidden / cfg.heads) * cfg.kvHeads;
  const vit = 2 * Tv * 3 * cfg.patchSize ** 2 * D + (cfg.vitDepth - 1) * (24 * Tv * D * D + 4 * Tv * Tv * D);
  const projector = 2 * tokens * (k * k * D * cfg.hidden + cfg.hidden * cfg.hidden);
  const decoder = cfg.layers * (2 * L * (2 * cfg.hidden * cfg.hidden + 2 * cfg.hidden * kv + 3 * cfg.hidden * cfg.intermediate) + 4 * L * L * cfg.hidden) + 2 * 7 * (cfg.vocabSize + 64) * cfg.hidden;
  const imageHead = cfg.imageHead ? 2 * 7 * 256 * tokens * cfg.hidden : 0;
  const flopsPerSample = 3 * (vit + projector + decoder + imageHead);
  const peak = loadNative().addon?.peakGflops(5);

  console.log(`default small VLA, batch ${batch}, ${steps} steps (decoder sequence ${L} tokens, ViT ${Tv} patches)`);
  console.log(`${samplesPerSec.toFixed(1)} samples/s, ${wallMs.toFixed(0)} ms per step`);
  console.log(`${(flopsPerSample / 1e9).toFixed(2)} GFLOP per sample (forward x 3): ${((flopsPerSample * samplesPerSec) / 1e9).toFixed(1)} GFLOP/s${peak ? ` of a ${peak.toFixed(0)} GFLOP/s measured peak (${((100 * flopsPerSample * samplesPerSec) / (peak * 1e9)).toFixed(0)}%)` : ''}`);
  console.log('\nkernel          calls/step   ms/step   share of the step');
  let kernelMs = 0;
  for (const [name, t] of [...totals].sort((a, b) => b[1].ms - a[1].ms)) {
    kernelMs += t.ms;
    if (t.ms / steps < 0.5) continue;
    console.log(`${name.padEnd(15)} ${(t.calls / steps).toFixed(0).padStart(10)} ${(t.ms / steps).toFixed(1).padStart(9)}   ${((100 * t.ms) / steps / wallMs).toFixed(0).padStart(4)}%`);
  }
  console.log(`${'(JavaScript)'.padEnd(15)} ${''.padStart(10)} ${(wallMs - kernelMs / steps).toFixed(1).padStart(9)}   ${((100 * (wallMs - kernelMs / steps)) / wallMs).toFixed(0).padStart(4)}%`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
