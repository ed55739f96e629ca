/**
 * Does the instruction reach the position that acts? On the first frame of object-suite episodes of
 * a dataset (collected with points), two measurements at the position that predicts the first action
 * token (the last prompt token):
 *
 * - which object the instruction names, read from the residual stream entering each decoder layer
 *   (and after the last) by a nearest-centroid probe (the mean state of each task on 70% of the
 *   episodes, cosine similarity, scored on the other 30%); the name is in the prompt, so a low
 *   figure at the acting position means it never travelled there;
 * - where one attention head of one layer (the middle layer's head 0, what `--attend-head` teaches)
 *   looks: its weight on the agent-view token holding the named object, with the true instruction
 *   and with another task's, and how often that token is its top key. Equal weights under both
 *   instructions mean the head looks where objects tend to lie, not for the one named.
 *
 * Usage: npx tsc -p . && node dist/bench/binding-probe.js [--model DIR] --data DIR [--episodes 300]
 *   [--layer L] [--head H] (a minute or two here)
 */
import { join } from 'node:path';
import { causalMask, VlaPolicy } from '../src/model/index.js';
import { KvCache } from '../src/model/kv-cache.js';
import { linear, rmsNorm, rope, softmax, Tensor } from '../src/ops/index.js';
import { seededRandom } from '../src/ops/random.js';
import { EpisodeStore } from '../src/train/index.js';
import { mergedToken } from '../src/train/vla-trainer.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { benchOption } from './args.js';

const model = benchOption('model', join(DEFAULT_MODEL_DIR, 'target'));
const data = benchOption('data', '');
const episodes = Number(benchOption('episodes', '300'));
if (!data) throw new Error('--data DIR: a dataset collected with points (spec-vla collect --suite object)');
if (!Number.isInteger(episodes) || episodes < 20) throw new Error('--episodes must be an integer of 20 or more');

const vla = VlaPolicy.load(model);
const llm = vla.llm;
const layer = Number(benchOption('layer', String(Math.floor(llm.cfg.nLayers / 2))));
const head = Number(benchOption('head', '0'));
if (!Number.isInteger(layer) || layer < 0 || layer >= llm.cfg.nLayers) throw new Error(`--layer must be within 0..${llm.cfg.nLayers - 1}`);
if (!Number.isInteger(head) || head < 0 || head >= llm.cfg.nHeads) throw new Error(`--head must be within 0..${llm.cfg.nHeads - 1}`);
const vision = vla.config.vision[0]!;
const grid = vision.imageSize / vision.patchSize;
const headDim = llm.cfg.hidden / llm.cfg.nHeads;
const kvHead = Math.floor(head / (llm.cfg.nHeads / llm.cfg.nKvHeads));
const store = EpisodeStore.open(data, { width: vision.imageSize, height: vision.imageSize, wristSize: vla.wristSize });

const objectEpisodes = store.index.episodes.filter((e) => e.suite === 'object');
const stride = Math.max(1, Math.floor(objectEpisodes.length / episodes));
const chosen = objectEpisodes.filter((_, i) => i % stride === 0).slice(0, episodes);
const instructionOf = new Map<number, string>();
for (const e of objectEpisodes) if (!instructionOf.has(e.task)) instructionOf.set(e.task, store.openOnDisk(e).instruction);
const tasks = [...instructionOf.keys()];
if (tasks.length < 2) throw new Error(`${data}: object-suite episodes of ${tasks.length} task(s); the probe needs two or more`);

/** The residual entering every layer (and after the last) at the acting position, and `head`'s attention weights from there in `layer`. */
function readPrompt(prefix: Tensor): { states: Float64Array[]; attention: number[] } {
  const T = prefix.rows;
  const positions = Int32Array.from({ length: T }, (_, i) => i);
  const mask = causalMask(0, T);
  const cache = new KvCache(llm.cfg.nLayers, llm.kvWidth, T);
  const states: Float64Array[] = [];
  let attention: number[] = [];
  let x = prefix;
  llm.layers.forEach((l, i) => {
    states.push(Float64Array.from(x.data.subarray((T - 1) * x.cols, T * x.cols)));
    if (i === layer) {
      const h = l.w.inputNorm ? rmsNorm(x, l.w.inputNorm, llm.cfg.eps) : x;
      const q = rope(linear(h.slice(T - 1, T), l.w.q), Int32Array.of(T - 1), headDim, llm.cfg.ropeTheta);
      const k = rope(linear(h, l.w.k), positions, headDim, llm.cfg.ropeTheta);
      const scores = Tensor.zeros([1, T]);
      for (let j = 0; j < T; j++) {
        let dot = 0;
        for (let c = 0; c < headDim; c++) dot += q.data[head * headDim + c]! * k.data[j * k.cols + kvHead * headDim + c]!;
        scores.data[j] = dot / Math.sqrt(headDim);
      }
      attention = Array.from(softmax(scores).data);
    }
    x = l.forward(x, positions, mask, cache, i);
  });
  states.push(Float64Array.from(x.data.subarray((T - 1) * x.cols, T * x.cols)));
  return { states, attention };
}

interface Sample { task: number; states: Float64Array[]; onAim: number; onAimOther: number; aimOnTop: boolean }
const rand = seededRandom(5);
const samples: Sample[] = [];
for (const entry of chosen) {
  const ep = store.openOnDisk(entry);
  if (!ep.points) continue;
  const [ax, ay] = ep.points[0]!.slice(2);
  const patch = ax! < 0 || ay! < 0 ? -1 : Math.floor(ay! / vision.patchSize) * grid + Math.floor(ax! / vision.patchSize);
  const token = mergedToken(patch, grid, vision.merge);
  if (token < 0) continue;
  const image = { width: ep.width, height: ep.height, data: ep.frame(0) };
  const wrist = vla.wristSize ? { width: vla.wristSize, height: vla.wristSize, data: ep.wristFrame(0) } : undefined;
  const others = tasks.filter((t) => t !== ep.task);
  const other = instructionOf.get(others[Math.floor(rand() * others.length)]!)!;
  const own = readPrompt(vla.prefix(image, ep.instruction, wrist));
  const swapped = readPrompt(vla.prefix(image, other, wrist));
  // The agent view's tokens follow the BOS token.
  const top = own.attention.indexOf(Math.max(...own.attention));
  samples.push({ task: ep.task, states: own.states, onAim: own.attention[1 + token]!, onAimOther: swapped.attention[1 + token]!, aimOnTop: top === 1 + token });
}
if (samples.length < 20) throw new Error(`${data}: ${samples.length} object-suite episodes with the named object in view; the probe needs 20 or more`);
for (let i = samples.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [samples[i], samples[j]] = [samples[j]!, samples[i]!];
}
const fitCount = Math.floor(0.7 * samples.length);

/** Held-out accuracy of the nearest (cosine) task centroid of the states entering layer `at`. */
function centroidAccuracy(at: number): number {
  const width = samples[0]!.states[at]!.length;
  const centroids = new Map<number, Float64Array>();
  for (const s of samples.slice(0, fitCount)) {
    const c = centroids.get(s.task) ?? new Float64Array(width);
    s.states[at]!.forEach((v, i) => (c[i] += v));
    centroids.set(s.task, c);
  }
  const cosine = (a: Float64Array, b: Float64Array) => {
    let [ab, aa, bb] = [0, 0, 0];
    for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + a[i]! * b[i]!, aa + a[i]! ** 2, bb + b[i]! ** 2];
    return ab / Math.sqrt(aa * bb + 1e-30);
  };
  const held = samples.slice(fitCount);
  const right = held.filter((s) => {
    let best = -1;
    let bestSim = -Infinity;
    for (const [task, c] of centroids) {
      const sim = cosine(s.states[at]!, c);
      if (sim > bestSim) [best, bestSim] = [task, sim];
    }
    return best === s.task;
  }).length;
  return right / held.length;
}

const pct = (v: number) => `${Math.round(100 * v)}%`;
console.log(`model ${model}; ${samples.length} object-suite first frames of ${data} (${tasks.length} tasks; chance ${pct(1 / tasks.length)})`);
console.log(`the named object read from the acting position's state (held out, ${samples.length - fitCount} frames):`);
console.log(llm.layers.map((_, i) => `entering layer ${i}`).concat('after the last').map((label, i) => `  ${label.padEnd(16)} ${pct(centroidAccuracy(i)).padStart(5)}`).join('\n'));
const mean = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0) / samples.length;
console.log(`layer ${layer} head ${head} from the acting position: weight on the named object's token ${mean((s) => s.onAim).toFixed(2)} (under another task's instruction ${mean((s) => s.onAimOther).toFixed(2)}), its top key on ${pct(mean((s) => (s.aimOnTop ? 1 : 0)))} of frames`);
