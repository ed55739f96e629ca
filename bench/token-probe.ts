/**
 * Do a model's image tokens show what the objects look like? On the first frame of each object-suite
 * episode of a dataset (collected with points), a linear probe picks the agent-view decoder token
 * holding the object the instruction names: a softmax over the tokens of (template of the task) ·
 * (token features) + (bias of the token), fitted on 80% of the episodes, scored on the other 20%.
 * Three feature sets side by side: none (the bias alone: where named objects tend to lie), the
 * frame's own mean colors per token (cells of half a patch: what the tokens could keep), and the
 * model's projected image tokens (what the decoder gets). A run trained with `--recon-head` adds a
 * fourth: that head's drawing of each token's colors (from its training checkpoint), which tells
 * whether the colors it was taught to keep are the ones that tell the objects apart.
 * `--target hand` probes the hand instead.
 *
 * Usage: npx tsc -p . && node dist/bench/token-probe.js [--model DIR] --data DIR [--target aim|hand]
 * (a minute or two for 800 episodes here)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsFile, VlaPolicy } from '../src/model/index.js';
import { linear, Tensor } from '../src/ops/index.js';
import { seededRandom } from '../src/ops/random.js';
import { EpisodeStore } from '../src/train/index.js';
import { mergedToken, tokenColorGrid } from '../src/train/vla-trainer.js';
import { DEFAULT_MODEL_DIR } from '../src/apps/eval-command.js';
import { benchOption } from './args.js';

const model = benchOption('model', join(DEFAULT_MODEL_DIR, 'target'));
const data = benchOption('data', '');
const target = benchOption('target', 'aim');
if (!data) throw new Error('--data DIR: a dataset collected with points (spec-vla collect --suite object)');
if (target !== 'aim' && target !== 'hand') throw new Error('--target must be aim or hand');

const vla = VlaPolicy.load(model);
const vision = vla.config.vision[0]!;
const [P, k] = [vision.patchSize, vision.merge];
const grid = vision.imageSize / P;
const tokens = (grid / k) ** 2;
/** The reconstruction head's weights from the run's training checkpoint, when it was trained with one. */
function reconHead(): { weight: Tensor; bias: Tensor } | null {
  const path = join(model, 'checkpoint', 'model.safetensors');
  if (!existsSync(path)) return null;
  const file = SafetensorsFile.open(path);
  if (!file.entries.has('training.recon_head.weight')) return null;
  return { weight: file.tensor('training.recon_head.weight'), bias: file.tensor('training.recon_head.bias') };
}
const recon = reconHead();
const store = EpisodeStore.open(data, { width: vision.imageSize, height: vision.imageSize });

type Features = 'colors' | 'tokens' | 'recon';
interface Sample { task: number; target: number; features: Partial<Record<Features, Float64Array[]>> }
const rowsOf = (t: Tensor) => Array.from({ length: t.rows }, (_, j) => Float64Array.from(t.data.subarray(j * t.cols, (j + 1) * t.cols)));
const samples: Sample[] = [];
for (const entry of store.index.episodes) {
  const ep = store.openOnDisk(entry);
  if (ep.suite !== 'object' || !ep.points || ep.width !== vision.imageSize) continue;
  const [x, y] = target === 'aim' ? ep.points[0]!.slice(2) : ep.points[0]!.slice(0, 2);
  const [col, row] = [Math.floor(x! / P), Math.floor(y! / P)];
  if (col < 0 || row < 0 || col >= grid || row >= grid) continue;
  const image = { width: ep.width, height: ep.height, data: ep.frame(0) };
  const colors = tokenColorGrid(image, P, k);
  const projected = vla.embedImage(image);
  samples.push({
    task: ep.task,
    target: mergedToken(row * grid + col, grid, k),
    features: {
      colors: rowsOf(Tensor.from(colors, [tokens, colors.length / tokens])),
      tokens: rowsOf(projected).slice(0, tokens),
      ...(recon ? { recon: rowsOf(linear(projected, recon.weight, recon.bias)).slice(0, tokens) } : {}),
    },
  });
}
if (samples.length < 20) throw new Error(`${data}: ${samples.length} object-suite episodes with points; the probe needs 20 or more`);
const rand = seededRandom(3);
for (let i = samples.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [samples[i], samples[j]] = [samples[j]!, samples[i]!];
}
const fitCount = Math.floor(0.8 * samples.length);

/** Fits the probe by full-batch gradient descent on standardized features; returns [fit accuracy, held-out accuracy]. */
function probe(kind: 'none' | Features): [number, number] {
  const width = kind === 'none' ? 0 : samples[0]!.features[kind]![0]!.length;
  const feats = samples.map((s) => (kind === 'none' ? [] : s.features[kind]!));
  const mean = new Float64Array(width);
  const sd = new Float64Array(width);
  const fit = feats.slice(0, fitCount).flat();
  for (const f of fit) f.forEach((v, c) => (mean[c] += v / fit.length));
  for (const f of fit) f.forEach((v, c) => (sd[c] += (v - mean[c]!) ** 2 / fit.length));
  const x = feats.map((fs) => fs.map((f) => f.map((v, c) => (v - mean[c]!) / Math.sqrt(sd[c]! + 1e-8))));
  const templates = Array.from({ length: 10 }, () => new Float64Array(width));
  const bias = new Float64Array(tokens);
  const logits = (i: number) => Array.from({ length: tokens }, (_, j) => bias[j]! + (x[i]![j]?.reduce((s, v, c) => s + v * templates[samples[i]!.task]![c]!, 0) ?? 0));
  const accuracy = (from: number, to: number) => {
    let right = 0;
    for (let i = from; i < to; i++) {
      const l = logits(i);
      right += l.indexOf(Math.max(...l)) === samples[i]!.target ? 1 : 0;
    }
    return right / (to - from);
  };
  const lr = 0.5;
  for (let step = 0; step < 300; step++) {
    const gT = templates.map(() => new Float64Array(width));
    const gB = new Float64Array(tokens);
    for (let i = 0; i < fitCount; i++) {
      const l = logits(i);
      const m = Math.max(...l);
      const e = l.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < tokens; j++) {
        const g = e[j]! / z - (j === samples[i]!.target ? 1 : 0);
        gB[j] += g / fitCount;
        x[i]![j]?.forEach((v, c) => (gT[samples[i]!.task]![c] += (g * v) / fitCount));
      }
    }
    bias.forEach((_, j) => (bias[j] -= lr * gB[j]!));
    templates.forEach((t, task) => t.forEach((v, c) => (t[c] = v - lr * (gT[task]![c]! + 1e-4 * v))));
  }
  return [accuracy(0, fitCount), accuracy(fitCount, samples.length)];
}

const pct = (v: number) => `${Math.round(100 * v)}%`.padStart(8);
console.log(`model ${model}; ${samples.length} object-suite first frames of ${data}; the probe picks the token holding the ${target === 'aim' ? 'named object' : 'hand'} (one of ${tokens})`);
console.log('features                         | fitted | held out');
const rows: ['none' | Features, string][] = [['none', 'none (where it tends to lie)'], ['colors', 'the frame\'s mean colors'], ['tokens', 'the model\'s image tokens']];
if (recon) rows.push(['recon', 'the recon head\'s drawing of them']);
for (const [kind, label] of rows) {
  const [fit, held] = probe(kind);
  console.log(`${label.padEnd(32)} | ${pct(fit).slice(2)} | ${pct(held)}`);
}
