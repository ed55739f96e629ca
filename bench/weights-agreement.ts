/**
 * Does storing a model's weights differently change what it does? Two copies of one model (e.g.
 * BF16 and its `spec-vla convert --dtype I8` copy) decode AR actions on the same frames (every sixth
 * frame of the expert's episode on state 0 of tasks 0, 3, 6 and 9 of each suite asked): how many
 * whole actions and tokens are identical, and how far apart in bins the differing tokens are. Also
 * the two weight files' sizes, and the largest weight difference over the matrices against the
 * half-step bound of channel-wise int8 (a row's largest magnitude / 254).
 *
 * Usage: npx tsc -p . && OMP_NUM_THREADS=1 node dist/bench/weights-agreement.js --model DIR --other DIR [--suite all]
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoint, VlaPolicy } from '../src/model/index.js';
import { TabletopEnv } from '../src/sim/index.js';
import { quantizeRowsInt8 } from '../src/ops/index.js';
import { parseSuites } from '../src/apps/cli-args.js';
import { vlaEnvOptions } from '../src/apps/sim-policy.js';
import { benchOption } from './args.js';
import { expertFrames } from './expert-frames.js';

const dirA = benchOption('model', '');
const dirB = benchOption('other', '');
if (!dirA || !dirB) throw new Error('give --model DIR and --other DIR (two copies of one model)');
const suites = parseSuites(benchOption('suite', 'all'));
const [a, b] = [VlaPolicy.load(dirA), VlaPolicy.load(dirB)];

// Weights first: the worst element against its row's int8 half step, over every matrix.
const [ca, cb] = [Checkpoint.open(dirA), Checkpoint.open(dirB)];
let worst = 0;
for (const name of ca.names()) {
  const x = ca.tensor(name);
  if (x.shape.length < 2) continue;
  const y = cb.tensor(name, x.shape);
  const cols = x.size / x.shape[0]!;
  // A row's int8 step is its quantization scale; half of it is the bound.
  const { scales } = quantizeRowsInt8(x);
  scales.forEach((step, r) => {
    for (let c = 0; c < cols && step > 0; c++) worst = Math.max(worst, Math.abs(x.data[r * cols + c]! - y.data[r * cols + c]!) / (step / 2));
  });
}
const mb = (d: string) => (statSync(join(d, 'model.safetensors')).size / 1e6).toFixed(1);
console.log(`${dirA} (${mb(dirA)} MB) against ${dirB} (${mb(dirB)} MB)`);
console.log(`largest weight difference: ${worst.toFixed(3)} of a row's int8 half step (largest magnitude / 254)`);

const env = await TabletopEnv.create(vlaEnvOptions(a));
let frames = 0;
let sameActions = 0;
let sameTokens = 0;
const binGaps: number[] = [];
for await (const { task, frames: observations } of expertFrames(env, suites)) {
  for (const obs of observations) {
    const [ta, tb] = [a, b].map((p) => p.predictAction(obs.image, task.instruction, { wrist: obs.wrist }).tokens);
    frames++;
    if (ta!.join() === tb!.join()) sameActions++;
    ta!.forEach((x, k) => (x === tb![k] ? sameTokens++ : binGaps.push(Math.abs(x - tb![k]!))));
  }
}
binGaps.sort((x, y) => x - y);
console.log(`${frames} frames of expert episodes (${suites.join(', ')}): identical AR actions ${sameActions}/${frames}, tokens ${sameTokens}/${frames * 7}`);
if (binGaps.length) console.log(`differing tokens: ${binGaps.length}, bins apart median ${binGaps[binGaps.length >> 1]}, largest ${binGaps.at(-1)}; within 1 bin ${binGaps.filter((g) => g <= 1).length}`);
