import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Tape } from '../ops/index.js';
import { maxAbsDiff } from '../ops/testing.js';
import { seededRandom } from '../ops/random.js';
import { mergeOrder, VlaPolicy } from '../model/index.js';
import { actionStats, EpisodeStore } from './dataset.js';
import { toDatasetAction } from './collect.js';
import { approachFrames, frameSampler, frameWeights, mergedToken, reconCellGain, tellingWords, tokenColorGrid, VlaTrainer, waypointTargets, type SmallVlaConfig } from './vla-trainer.js';

const root = mkdtempSync(join(tmpdir(), 'spec-vla-train-'));
after(() => rmSync(root, { recursive: true, force: true }));

const cfg: SmallVlaConfig = { imageSize: 32, patchSize: 16, vitWidth: 16, vitDepth: 3, vitHeads: 2, hidden: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 64, vocabSize: 300 };
const instructions = ['pick up the red block', 'put the blue can in the basket'];

/**
 * Two tasks whose images (a bright or a dark square) decide the actions. With `points`, frame i also
 * shows a gray 10-pixel square in quadrant i mod 4 (of the 4 patches of 16 px) and records the hand
 * `handAhead` quadrants from it (on it unless told) and the aim `aimAhead` quadrants from it (the
 * next one unless told). With `states`, frame i records that hand and aim in metres (a pixel a
 * centimetre), the task's height and finger opening: what the image shows.
 */
function makeStore(dir: string, points = false, states = false, wristSize = 0, aimAhead = 1, handAhead = 0): EpisodeStore {
  const store = EpisodeStore.open(dir, { width: 32, height: 32, wristSize });
  const rand = seededRandom(1);
  const corner = (q: number): [number, number] => [(q % 2) * 16 + 8, Math.floor(q / 2) * 16 + 8];
  for (let task = 0; task < 2; task++) {
    const frames = Array.from({ length: 12 }, (_, f) => {
      const [hx, hy] = corner(f % 4);
      return Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => {
        const [x, y] = [Math.floor(i / 3) % 32, Math.floor(i / 96)];
        if (points && Math.abs(x - hx) < 5 && Math.abs(y - hy) < 5) return 128;
        return (task ? 220 : 30) + Math.floor(rand() * 20) - (i % 3) * 5;
      });
    });
    const actions = frames.map((_, i) => Float32Array.from([task ? 0.8 : -0.8, 0.3 * Math.sin(i), task ? -0.5 : 0.5, 0, 0, task ? 0.2 : -0.2, task ? 1 : -1]));
    const pts = points ? frames.map((_, f) => [...corner((f + handAhead) % 4), ...corner((f + aimAhead) % 4)]) : undefined;
    const sts = states ? frames.map((_, f) => [...corner(f % 4), task ? 20 : 5, task ? 0 : 4, ...corner((f + 1) % 4), 0].map((cm) => cm / 100)) : undefined;
    const wrist = wristSize ? { wristSize, wrist: frames.map((_, f) => Uint8Array.from({ length: wristSize * wristSize * 3 }, () => (f % 2 ? 200 : 40) + Math.floor(rand() * 30))) } : {};
    store.append({ suite: 'goal', task, init: 0, instruction: instructions[task]!, success: true, width: 32, height: 32, frames, actions, ...(pts ? { points: pts } : {}), ...(sts ? { states: sts } : {}), ...wrist });
  }
  return store;
}

/** The q01/q99 statistics of a store's actions, as collect writes them. */
function statsOf(store: EpisodeStore) {
  return actionStats(store.index.episodes.flatMap((e) => store.read(e).actions.map((a) => Float32Array.from(toDatasetAction(a)))));
}

test('the small VLA learns its demonstrations, exports in OpenVLA layout, and VlaPolicy reproduces the training forward', () => {
  const store = makeStore(join(root, 'data'));
  const stats = statsOf(store);
  const trainer = new VlaTrainer(cfg, instructions, 3);
  const progress: { loss: number; tokenAccuracy: number }[] = [];
  trainer.train([store], stats, join(root, 'model'), { steps: 60, batch: 4, lr: 3e-3, seed: 1, checkpointEvery: 30, unnormKey: 'toy', exportDtype: 'F32', onProgress: (p) => progress.push(p), progressEvery: 10 });
  assert.ok(progress[progress.length - 1]!.loss < progress[0]!.loss * 0.5, `loss ${progress.map((p) => p.loss.toFixed(2)).join(' ')}`);
  const policy = VlaPolicy.load(join(root, 'model'));
  const ep = store.read(store.index.episodes[1]!);
  const img = { width: 32, height: 32, data: ep.frames[3]! };
  const out = policy.predictAction(img, instructions[1]!, { unnormKey: 'toy' });
  // The inference logits (greedy AR) agree with the training graph run on the same weights.
  const tape = new Tape();
  const logits = trainer.forward(tape, img, trainer.tokenizer.promptIds(instructions[1]!), out.tokens).value;
  const V = logits.cols;
  out.tokens.forEach((t, i) => {
    let best = 0;
    for (let j = 1; j < V; j++) if (logits.data[i * V + j]! > logits.data[i * V + best]!) best = j;
    assert.equal(best, t, `token ${i}`);
  });
  assert.ok(maxAbsDiff([out.action[0]!], [0.8]) < 0.2, `learned dx ${out.action[0]} for the second task`);
});

/**
 * Trains `steps` steps in one run and, from the same seed, in a run "killed" after `killAt` steps
 * (its last checkpoint) then restarted with the same command; asserts both end with the same weights.
 * Returns the uninterrupted trainer and its output folder.
 */
function trainKilledAndResumed(config: SmallVlaConfig, name: string, steps: number, killAt: number, checkpointEvery: number): { trainer: VlaTrainer; out: string } {
  const store = makeStore(join(root, `data-${name}`));
  const stats = statsOf(store);
  const opts = { steps, batch: 2, lr: 3e-3, seed: 5, checkpointEvery, unnormKey: 'toy', exportDtype: 'F32' as const };
  const whole = new VlaTrainer(config, instructions, 9);
  whole.train([store], stats, join(root, `${name}-whole`), opts);
  new VlaTrainer(config, instructions, 9).train([store], stats, join(root, `${name}-split`), { ...opts, stopAfter: killAt });
  const resumed = new VlaTrainer(config, instructions, 9);
  resumed.train([store], stats, join(root, `${name}-split`), opts);
  for (const [param, v] of whole.params.vars) assert.ok(maxAbsDiff(v.value.data, resumed.params.get(param).value.data) < 1e-6, param);
  return { trainer: whole, out: join(root, `${name}-whole`) };
}

test('killing training mid-run and resuming continues from the last checkpoint exactly', () => {
  trainKilledAndResumed(cfg, 'resume', 8, 5, 4); // "killed" after step 5, last checkpoint at step 5
});

test('--until stops a stage at an absolute step of the schedule, also when resumed, and the next stage continues from it', () => {
  const store = makeStore(join(root, 'data-until'));
  const stats = statsOf(store);
  const opts = { steps: 6, batch: 2, lr: 3e-3, seed: 3, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32' as const };
  const out = join(root, 'until');
  new VlaTrainer(cfg, instructions, 7).train([store], stats, out, { ...opts, until: 4, stopAfter: 2 });
  new VlaTrainer(cfg, instructions, 7).train([store], stats, out, { ...opts, until: 4 });
  new VlaTrainer(cfg, instructions, 7).train([store], stats, out, { ...opts, until: 4 });
  const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'state.json'), 'utf8')) as { step: number };
  assert.equal(state.step, 4, 'a rerun of the stage does not go past --until');
  assert.ok(!existsSync(join(out, 'config.json')), 'a stopped stage exports nothing');
  const staged = new VlaTrainer(cfg, instructions, 7);
  staged.train([store], stats, out, opts);
  const whole = new VlaTrainer(cfg, instructions, 7);
  whole.train([store], stats, join(root, 'until-whole'), opts);
  for (const [param, v] of whole.params.vars) assert.ok(maxAbsDiff(v.value.data, staged.params.get(param).value.data) < 1e-6, param);
});

test('a checkpoint of a run in progress loads into a fresh trainer (for exporting it), and only into the same configuration', () => {
  const store = makeStore(join(root, 'data3'));
  const stats = statsOf(store);
  const running = new VlaTrainer(cfg, instructions, 4);
  running.train([store], stats, join(root, 'progress'), { steps: 6, batch: 2, lr: 3e-3, seed: 2, checkpointEvery: 100, unnormKey: 'toy', stopAfter: 3 });
  const fresh = new VlaTrainer(cfg, instructions, 5);
  assert.deepEqual(fresh.loadCheckpointWeights(join(root, 'progress', 'checkpoint')), { step: 3, adamStep: 3, config: cfg });
  for (const [name, v] of running.params.vars) assert.deepEqual(fresh.params.get(name).value.data, v.value.data, name);
  assert.throws(() => new VlaTrainer({ ...cfg, layers: 1 }, instructions, 5).loadCheckpointWeights(join(root, 'progress', 'checkpoint')), /another model configuration/);
});

test('with merged patches (2 x 2 blocks of a 4 x 4 grid into 4 decoder tokens) training and VlaPolicy run the same forward', () => {
  const merged: SmallVlaConfig = { ...cfg, patchSize: 8, merge: 2 };
  const store = makeStore(join(root, 'data-merge'));
  const stats = statsOf(store);
  const trainer = new VlaTrainer(merged, instructions, 6);
  trainer.train([store], stats, join(root, 'merged'), { steps: 4, batch: 2, lr: 3e-3, seed: 1, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32' });
  assert.deepEqual(trainer.params.get('projector.fc1.weight').shape, [32, 4 * 16]);
  const policy = VlaPolicy.load(join(root, 'merged'));
  assert.equal(policy.config.vision[0]!.merge, 2);
  const img = { width: 32, height: 32, data: store.read(store.index.episodes[0]!).frames[2]! };
  const prompt = trainer.tokenizer.promptIds(instructions[0]!);
  assert.equal(policy.prefix(img, instructions[0]!).rows, prompt.length + 4, 'BOS, 4 merged image tokens, the rest of the prompt');
  const out = policy.predictAction(img, instructions[0]!, { unnormKey: 'toy' });
  const logits = trainer.forward(new Tape(), img, prompt, out.tokens).value;
  const V = logits.cols;
  out.tokens.forEach((t, i) => {
    let best = 0;
    for (let j = 1; j < V; j++) if (logits.data[i * V + j]! > logits.data[i * V + best]!) best = j;
    assert.equal(best, t, `token ${i}`);
  });
});

test('with a wrist view, training and VlaPolicy run the same forward, the decoder reads the wrist frame, and a model without one starts it', () => {
  const wristCfg: SmallVlaConfig = { ...cfg, patchSize: 8, merge: 2, wristImageSize: 16, imageHead: 1, stateHead: 1 };
  const store = makeStore(join(root, 'data-wrist'), false, true, 16);
  const stats = statsOf(store);
  // A model without the wrist view, then one that gains it from there (the wrist position table fresh).
  const plain = new VlaTrainer({ ...wristCfg, wristImageSize: 0 }, instructions, 6);
  plain.train([store], stats, join(root, 'wrist-base'), { steps: 2, batch: 2, lr: 3e-3, seed: 1, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32' });
  const trainer = new VlaTrainer(wristCfg, instructions, 7);
  const freshPos = Float32Array.from(trainer.params.get('vision_backbone.featurizer.wrist_pos_embed').value.data);
  trainer.initFromModel(join(root, 'wrist-base'));
  assert.deepEqual(trainer.params.get('vision_backbone.featurizer.wrist_pos_embed').value.data, freshPos);
  assert.deepEqual(trainer.params.get('projector.fc1.weight').value.data, plain.params.get('projector.fc1.weight').value.data);
  trainer.train([store], stats, join(root, 'wrist'), { steps: 6, batch: 2, lr: 3e-3, seed: 1, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32' });
  const policy = VlaPolicy.load(join(root, 'wrist'));
  assert.equal(policy.wristSize, 16);
  const ep = store.read(store.index.episodes[0]!);
  const img = { width: 32, height: 32, data: ep.frames[2]! };
  const wrist = { width: 16, height: 16, data: ep.wrist![2]! };
  const prompt = trainer.tokenizer.promptIds(instructions[0]!);
  assert.equal(policy.prefix(img, instructions[0]!, wrist).rows, prompt.length + 4 + 1, 'BOS, 4 agent tokens, 1 wrist token, the rest of the prompt');
  const out = policy.predictAction(img, instructions[0]!, { unnormKey: 'toy', wrist });
  const logits = trainer.forward(new Tape(), img, prompt, out.tokens, wrist).value;
  const V = logits.cols;
  out.tokens.forEach((t, i) => {
    let best = 0;
    for (let j = 1; j < V; j++) if (logits.data[i * V + j]! > logits.data[i * V + best]!) best = j;
    assert.equal(best, t, `token ${i}`);
  });
  const otherWrist = { width: 16, height: 16, data: ep.wrist![3]! };
  assert.ok(maxAbsDiff(logits.data, trainer.forward(new Tape(), img, prompt, out.tokens, otherWrist).value.data) > 1e-4, 'the wrist frame does not reach the logits');
  assert.throws(() => policy.predictAction(img, instructions[0]!, { unnormKey: 'toy' }), /wrist-camera frame; none was given/);
  assert.throws(() => VlaPolicy.load(join(root, 'wrist-base')).predictAction(img, instructions[0]!, { unnormKey: 'toy', wrist }), /no wrist view/);
  // A dataset without wrist frames is refused by name.
  const noWrist = makeStore(join(root, 'data-no-wrist'));
  assert.throws(() => new VlaTrainer(wristCfg, instructions, 7).train([noWrist], stats, join(root, 'wrist-refused'), { steps: 1, batch: 2, lr: 1e-3, seed: 1, checkpointEvery: 100, unnormKey: 'toy' }), /no 16-pixel wrist frames/);
});

test('the training-only image head is checkpointed and resumed but never exported', () => {
  const withHead: SmallVlaConfig = { ...cfg, imageHead: 1 };
  const { trainer: whole, out } = trainKilledAndResumed(withHead, 'head', 6, 3, 3);
  assert.ok(whole.params.vars.has('training.image_head.weight'));
  const exported = readFileSync(join(out, 'model.safetensors'));
  assert.ok(!exported.includes('training.'), 'the image head leaked into the exported model');
  // The head's gradient reached the vision tower: its weights differ from a run without the head.
  const store = makeStore(join(root, 'data-plain'));
  const plain = new VlaTrainer(cfg, instructions, 9);
  plain.train([store], statsOf(store), join(root, 'head-none'), { steps: 6, batch: 2, lr: 3e-3, seed: 5, checkpointEvery: 3, unnormKey: 'toy' });
  assert.ok(maxAbsDiff(plain.params.get('projector.fc1.weight').value.data, whole.params.get('projector.fc1.weight').value.data) > 1e-4);
  assert.equal(VlaPolicy.load(out).predictAction({ width: 32, height: 32, data: store.read(store.index.episodes[0]!).frames[0]! }, instructions[0]!, { unnormKey: 'toy' }).tokens.length, 7);
});

test('training can start from an exported model: its weights, not random ones; another vocabulary is refused', () => {
  const store = makeStore(join(root, 'data-init'));
  const stats = statsOf(store);
  const first = new VlaTrainer(cfg, instructions, 3);
  first.train([store], stats, join(root, 'init-base'), { steps: 4, batch: 2, lr: 3e-3, seed: 1, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32' });
  const second = new VlaTrainer(cfg, instructions, 8);
  second.initFromModel(join(root, 'init-base'));
  for (const [name, v] of first.params.vars) assert.deepEqual(second.params.get(name).value.data, v.value.data, name);
  // Through train(): a fresh run starts from the model, a resumed one from its checkpoint.
  const fine = new VlaTrainer(cfg, instructions, 8);
  fine.train([store], stats, join(root, 'init-fine'), { steps: 2, batch: 2, lr: 0, seed: 1, checkpointEvery: 1, unnormKey: 'toy', initFrom: join(root, 'init-base'), stopAfter: 1 });
  for (const [name, v] of first.params.vars) assert.deepEqual(fine.params.get(name).value.data, v.value.data, name);
  const resumed = new VlaTrainer(cfg, instructions, 9);
  resumed.train([store], stats, join(root, 'init-fine'), { steps: 2, batch: 2, lr: 0, seed: 1, checkpointEvery: 1, unnormKey: 'toy', initFrom: join(root, 'missing-model') });
  for (const [name, v] of first.params.vars) assert.deepEqual(resumed.params.get(name).value.data, v.value.data, name);
  // A plain model folder (no checkpoint beside it) gives the heads nothing; a run's folder gives them its checkpoint's.
  const plainModel = join(root, 'init-plain');
  cpSync(join(root, 'init-base'), plainModel, { recursive: true });
  rmSync(join(plainModel, 'checkpoint'), { recursive: true });
  assert.deepEqual(new VlaTrainer({ ...cfg, imageHead: 1 }, instructions, 8).initFromModel(plainModel), []);
  const withHead = new VlaTrainer({ ...cfg, imageHead: 1 }, instructions, 3);
  withHead.train([store], stats, join(root, 'init-head'), { steps: 4, batch: 2, lr: 3e-3, seed: 1, checkpointEvery: 100, unnormKey: 'toy' });
  const continued = new VlaTrainer({ ...cfg, imageHead: 1 }, instructions, 8);
  const heads = continued.initFromModel(join(root, 'init-head'));
  assert.ok(heads.length > 0 && heads.every((n) => n.startsWith('training.image_head.')), heads.join());
  for (const n of heads) assert.deepEqual(continued.params.get(n).value.data, withHead.params.get(n).value.data, n);
  assert.throws(() => new VlaTrainer(cfg, ['stack the green bowl'], 8).initFromModel(join(root, 'init-base')), /tokenizer\.json differs/);
  assert.throws(() => new VlaTrainer({ ...cfg, hidden: 16, intermediate: 32 }, instructions, 8).initFromModel(join(root, 'init-base')), /shape|\[/);
});

test('waypoint targets: the hand motion summed up to the last frame before the gripper command changes, halved', () => {
  const a = (x: number, y: number, z: number, g: number) => [x, y, z, 0, 0, 0, g];
  const targets = waypointTargets([a(0.2, 0, -0.2, -1), a(0.2, 0.2, -0.2, -1), a(0, 0, 0, 1), a(0, 0, 0.2, 1), a(0.2, 0, 0.2, 1)]);
  const expected = [[0.2, 0.1, -0.2], [0.1, 0.1, -0.1], [0.1, 0, 0.2], [0.1, 0, 0.2], [0.1, 0, 0.1]];
  targets.forEach((t, i) => t.forEach((x, j) => assert.ok(Math.abs(x - expected[i]![j]!) < 1e-9, `frame ${i} axis ${j}: ${x}`)));
});

test('approach frames: those before the first label that moves neither x nor y', () => {
  const a = (x: number, y: number, z: number, g: number) => [x, y, z, 0, 0, 0, g];
  assert.equal(approachFrames([a(0.2, -0.2, -0.2, -1), a(0, -0.2, 0, -1), a(0, 0, -0.2, -1), a(0.2, 0, 0, 1)]), 2);
  assert.equal(approachFrames([a(0, 0, -0.2, -1), a(0.2, 0, 0, -1)]), 0);
  assert.equal(approachFrames([a(0.2, 0, 0, -1), a(0, 0.2, 0, -1)]), 2);
});

test('frame weights: approach frames, and a gripper command change with the frames on both sides of it', () => {
  const a = (x: number, y: number, z: number, g: number) => [x, y, z, 0, 0, 0, g];
  const demo = [a(0.2, 0.2, -0.2, -1), a(0.2, 0, 0, -1), a(0, 0, -0.2, -1), a(0, 0, -0.2, -1), a(0, 0, 0, 1), a(0, 0, 0.2, 1), a(0.2, 0, 0, 1), a(0, 0, 0, -1)];
  assert.deepEqual([...frameWeights(demo, {})], [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...frameWeights(demo, { approach: 3, grip: 5 })], [3, 3, 1, 5, 5, 5, 5, 5]);
  assert.deepEqual([...frameWeights(demo, { approach: 6, grip: 2 })], [6, 6, 1, 2, 2, 2, 2, 2]);
});

test('frame sampler: draws in proportion to the weights; uniform weights draw as an unweighted run', () => {
  const uniform = frameSampler(new Float64Array(7).fill(3));
  for (const u of [0, 0.1, 0.5, 0.99999]) assert.equal(uniform(u), Math.floor(u * 7));
  const pick = frameSampler(Float64Array.from([4, 1, 0, 1, 4]));
  const counts = new Array<number>(5).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) counts[pick((i + 0.5) / n)]!++;
  assert.deepEqual(counts.map((c) => Math.round((c / n) * 10)), [4, 1, 0, 1, 4]);
  assert.equal(pick(0), 0);
  assert.equal(pick(0.99999999), 4);
  assert.throws(() => frameSampler(Float64Array.from([0, 0, 0])), /weight 0/);
});

test('the waypoint head trains the decoder, is never exported, and skips DAgger episodes', () => {
  const stats = statsOf(makeStore(join(root, 'data-wp-stats')));
  const run = (name: string, config: SmallVlaConfig, dagger: boolean) => {
    const store = makeStore(join(root, `data-${name}`));
    if (dagger) store.index.episodes.forEach((e) => (e.dagger = true));
    const trainer = new VlaTrainer(config, instructions, 9);
    trainer.train([store], stats, join(root, name), { steps: 4, batch: 2, lr: 3e-3, seed: 5, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32' });
    return trainer;
  };
  const plain = run('wp-none', cfg, false);
  const withHead = run('wp-head', { ...cfg, waypointHead: 1 }, false);
  const daggerOnly = run('wp-dagger', { ...cfg, waypointHead: 1 }, true);
  const w = (t: VlaTrainer) => t.params.get('language_model.model.layers.1.mlp.down_proj.weight').value.data;
  assert.ok(maxAbsDiff(w(plain), w(withHead)) > 1e-5, 'the head did not change the decoder');
  assert.equal(maxAbsDiff(w(plain), w(daggerOnly)), 0, 'DAgger episodes must give the head no target');
  assert.ok(!readFileSync(join(root, 'wp-head', 'model.safetensors')).includes('training.'), 'the waypoint head leaked into the exported model');
});

/** A weight of the decoder's last block and one of the ViT's first: what a training-only head's gradient reaches. */
const decoder = (t: VlaTrainer) => t.params.get('language_model.model.layers.1.mlp.down_proj.weight').value.data;
const vit = (t: VlaTrainer) => t.params.get('vision_backbone.featurizer.blocks.0.mlp.fc1.weight').value.data;

/** The loss fields of a training progress report, one per training-only head. */
type HeadLoss = 'pointHeadLoss' | 'stateHeadLoss' | 'aimHeadLoss' | 'reconHeadLoss' | 'attendHeadLoss' | 'instructionHeadLoss';

/** Trains a toy trainer on `store` for `steps` (batch 4), recording the head loss `head` of every progress report (every 5 steps). */
function trainHead(name: string, config: SmallVlaConfig, store: EpisodeStore, stats: ReturnType<typeof statsOf>, steps: number, head: HeadLoss) {
  const trainer = new VlaTrainer(config, instructions, 9);
  const losses: number[] = [];
  trainer.train([store], stats, join(root, name), { steps, batch: 4, lr: 3e-3, seed: 5, checkpointEvery: 100, unnormKey: 'toy', exportDtype: 'F32', progressEvery: 5, onProgress: (p) => losses.push(p[head] ?? NaN) });
  return { trainer, losses };
}

test('the point head learns where the hand and the aim are, trains the vision tower and the decoder, is never exported, and skips frames without points', () => {
  const stats = statsOf(makeStore(join(root, 'data-pt-stats')));
  const run = (name: string, config: SmallVlaConfig, points: boolean, steps: number) => trainHead(name, config, makeStore(join(root, `data-${name}`), points), stats, steps, 'pointHeadLoss');
  const learned = run('pt-learn', { ...cfg, pointHead: 1 }, true, 200);
  // Chance is ln 4 (four patches) for each pointing term; the vision term is learned first (the decoder's, through attention, a few hundred steps later).
  assert.ok(learned.losses[0]! > 1.2 && learned.losses.at(-1)! < 0.8, `point loss ${learned.losses.map((l) => l.toFixed(2)).join(' ')}`);
  assert.ok(!readFileSync(join(root, 'pt-learn', 'model.safetensors')).includes('training.'), 'the point head leaked into the exported model');
  const plain = run('pt-none', cfg, true, 4).trainer;
  const withHead = run('pt-head', { ...cfg, pointHead: 1 }, true, 4).trainer;
  const noPoints = run('pt-missing', { ...cfg, pointHead: 1 }, false, 4).trainer;
  assert.ok(maxAbsDiff(decoder(plain), decoder(withHead)) > 1e-5, 'the head did not change the decoder');
  assert.ok(maxAbsDiff(vit(plain), vit(withHead)) > 1e-5, 'the head did not change the vision tower');
  const plainNoPoints = run('pt-none-missing', cfg, false, 4).trainer;
  assert.equal(maxAbsDiff(decoder(plainNoPoints), decoder(noPoints)), 0, 'frames without points must give the head no target');
});

test('the state head learns the state behind each frame, trains the vision tower and the decoder, is never exported, and skips frames without states', () => {
  const stats = statsOf(makeStore(join(root, 'data-st-stats')));
  const run = (name: string, config: SmallVlaConfig, states: boolean, steps: number) => trainHead(name, config, makeStore(join(root, `data-${name}`), true, states), stats, steps, 'stateHeadLoss');
  const learned = run('st-learn', { ...cfg, stateHead: 1 }, true, 200);
  // Untrained, the heads answer ~0 for targets centred on the dataset's mean (up to 8 cm away): a mean smooth-L1 of about 5.
  assert.ok(learned.losses[0]! > 4 && learned.losses.at(-1)! < 0.5 * learned.losses[0]!, `state loss ${learned.losses.map((l) => l.toFixed(2)).join(' ')}`);
  assert.ok(!readFileSync(join(root, 'st-learn', 'model.safetensors')).includes('training.'), 'the state head leaked into the exported model');
  const plain = run('st-none', cfg, true, 4).trainer;
  const withHead = run('st-head', { ...cfg, stateHead: 1 }, true, 4).trainer;
  const noStates = run('st-missing', { ...cfg, stateHead: 1 }, false, 4).trainer;
  assert.ok(maxAbsDiff(decoder(plain), decoder(withHead)) > 1e-5, 'the head did not change the decoder');
  assert.ok(maxAbsDiff(vit(plain), vit(withHead)) > 1e-5, 'the head did not change the vision tower');
  const plainNoStates = run('st-none-missing', cfg, false, 4).trainer;
  assert.equal(maxAbsDiff(decoder(plainNoStates), decoder(noStates)), 0, 'frames without states must give the head no target');
});

test('merged tokens: every patch of a k x k block maps to the decoder token mergeOrder builds from that block', () => {
  for (const [grid, k] of [[8, 2], [4, 2], [6, 3], [4, 1]] as const) {
    const order = mergeOrder(grid, k);
    for (let r = 0; r < order.length; r++) assert.equal(mergedToken(order[r]!, grid, k), Math.floor(r / (k * k)), `grid ${grid}, merge ${k}, patch ${order[r]}`);
  }
  assert.equal(mergedToken(-1, 8, 2), -1);
});

test('the aim head picks the image token showing the aim, trains the vision tower and the decoder, is never exported, and skips frames without points', () => {
  const stats = statsOf(makeStore(join(root, 'data-aim-stats')));
  const config = { ...cfg, wristImageSize: 16 };
  // The aim is the gray square the frame shows: found by what the token holds, not where it is.
  const run = (name: string, c: SmallVlaConfig, points: boolean, steps: number) => trainHead(name, c, makeStore(join(root, `data-${name}`), points, false, 16, 0), stats, steps, 'aimHeadLoss');
  const learned = run('aim-learn', { ...config, aimHead: 1 }, true, 200);
  // Chance is ln 4 (the agent view's four tokens; the wrist view's token is never a choice).
  assert.ok(Math.abs(learned.losses[0]! - Math.log(4)) < 0.2 && learned.losses.at(-1)! < 0.3, `aim loss ${learned.losses.map((l) => l.toFixed(2)).join(' ')}`);
  assert.ok(!readFileSync(join(root, 'aim-learn', 'model.safetensors')).includes('training.'), 'the aim head leaked into the exported model');
  const plain = run('aim-none', config, true, 4).trainer;
  const withHead = run('aim-head', { ...config, aimHead: 1 }, true, 4).trainer;
  assert.ok(maxAbsDiff(decoder(plain), decoder(withHead)) > 1e-5, 'the head did not change the decoder');
  assert.ok(maxAbsDiff(vit(plain), vit(withHead)) > 1e-5, 'the head did not change the vision tower');
  const plainNoPoints = run('aim-none-missing', config, false, 4).trainer;
  const noPoints = run('aim-missing', { ...config, aimHead: 1 }, false, 4).trainer;
  assert.equal(maxAbsDiff(decoder(plainNoPoints), decoder(noPoints)), 0, 'frames without points must give the head no target');
});

test('the attend head teaches the decoder\'s own attention to fall on the image token showing the aim, reaches the vision tower, and skips frames without points or with the hand at the aim', () => {
  const stats = statsOf(makeStore(join(root, 'data-att-stats')));
  // The gray square is the aim; the hand is recorded one corner on.
  const run = (name: string, c: SmallVlaConfig, points: boolean, steps: number, handAhead = 1) => trainHead(name, c, makeStore(join(root, `data-${name}`), points, false, 0, 0, handAhead), stats, steps, 'attendHeadLoss');
  const learned = run('att-learn', { ...cfg, attendHead: 1 }, true, 80);
  // Untrained, the head attends about evenly over every key the position sees: BOS, 4 image tokens and
  // the prompt (at least 12 keys here), so the loss starts near ln 12 or more, not ln 4 (the image tokens alone).
  assert.ok(learned.losses[0]! > Math.log(12) - 0.1 && learned.losses.at(-1)! < 0.3, `attend loss ${learned.losses.map((l) => l.toFixed(2)).join(' ')}`);
  const plain = run('att-none', cfg, true, 4).trainer;
  const withHead = run('att-head', { ...cfg, attendHead: 1 }, true, 4).trainer;
  assert.ok(maxAbsDiff(vit(plain), vit(withHead)) > 1e-5, 'the head did not change the vision tower');
  const plainNoPoints = run('att-none-missing', cfg, false, 4).trainer;
  const noPoints = run('att-missing', { ...cfg, attendHead: 1 }, false, 4).trainer;
  assert.equal(maxAbsDiff(decoder(plainNoPoints), decoder(noPoints)), 0, 'frames without points must give the head no target');
  const plainAtAim = run('att-none-at-aim', cfg, true, 4, 0).trainer;
  const atAim = run('att-at-aim', { ...cfg, attendHead: 1 }, true, 4, 0).trainer;
  assert.equal(maxAbsDiff(decoder(plainAtAim), decoder(atAim)), 0, 'frames with the hand on the aim\'s token must give the head no target');
});

test('the instruction head names the prompt\'s words from the middle layer\'s input where the first action is predicted, and trains the decoder below it', () => {
  const stats = statsOf(makeStore(join(root, 'data-ins-stats')));
  const run = (name: string, c: SmallVlaConfig, steps: number) => trainHead(name, c, makeStore(join(root, `data-${name}`)), stats, steps, 'instructionHeadLoss');
  const learned = run('ins-learn', { ...cfg, instructionHead: 1 }, 300);
  // From ln 300 (the vocabulary, untrained) down towards the floor of naming K words at once, ln K:
  // the two prompts have 4 and 5 words the other lacks ("pick up red block", "put blue can in
  // basket"), so it never goes below ln 4; on every prompt word it could not go below ln 15. It
  // first sits at ln 9 (both prompts' words alike) until the acting position tells the prompts apart.
  assert.ok(learned.losses[0]! > Math.log(300) - 0.3 && learned.losses.at(-1)! < (Math.log(4) + Math.log(5)) / 2 + 0.15 && learned.losses.at(-1)! > Math.log(4) - 0.05, `instruction loss ${learned.losses.map((l) => l.toFixed(2)).join(' ')}`);
  const plain = run('ins-none', cfg, 4).trainer;
  const withHead = run('ins-head', { ...cfg, instructionHead: 1 }, 4).trainer;
  const embed = (t: VlaTrainer) => t.params.get('language_model.model.embed_tokens.weight').value.data;
  assert.ok(maxAbsDiff(embed(plain), embed(withHead)) > 1e-5, 'the head did not change the word embeddings');
  assert.ok(!readFileSync(join(root, 'ins-learn', 'model.safetensors')).includes('training.'), 'the instruction head leaked into the exported model');
});

test('telling words: those in at most half of the prompts', () => {
  assert.deepEqual([...tellingWords([[1, 2, 3, 3], [1, 2, 4], [1, 5, 6], [1, 2, 6]])].sort(), [3, 4, 5, 6]);
  assert.deepEqual([...tellingWords([[1, 2]])], []);
});

test('token color grid: each decoder token gets the cells (half a patch) of its block, row-major, as centred mean colors', () => {
  // An 8 x 8 frame in 4-px patches merged 2 x 2: one token, sixteen cells of 2 px.
  const img = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) };
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) img.data.set([x * 32, y * 32, x === 7 && y === 7 ? 255 : 128], (y * 8 + x) * 3);
  const grid = tokenColorGrid(img, 4, 2);
  assert.equal(grid.length, 16 * 3);
  // Cell (row 1, column 2) covers x 4..5, y 2..3: mean red 4.5·32, green 2.5·32, blue 128.
  assert.deepEqual(grid.slice((1 * 4 + 2) * 3, (1 * 4 + 2) * 3 + 3), [(4.5 * 32 - 128) / 64, (2.5 * 32 - 128) / 64, 0]);
  // The last cell holds the one bright-blue pixel among four.
  assert.equal(grid.at(-1), ((3 * 128 + 255) / 4 - 128) / 64);
  // Unmerged 4-px patches: four tokens, each of four 2-px cells.
  const tokens = tokenColorGrid(img, 4, 1);
  assert.equal(tokens.length, 4 * 4 * 3);
  assert.deepEqual(tokens.slice(3 * 12 + 9), grid.slice(-3), 'the last token\'s last cell is the frame\'s last cell');
});

test('reconstruction cell gain: only the cells unlike their own frame\'s commonest colors are scaled', () => {
  // Two frames of four cells each (RGB): a table color with one red cell, then a gray frame with one table-colored cell.
  const table = [0.6, 0.2, -0.4];
  const values = [...table, ...table, 1.8, -1, -1, ...table, 0, 0, 0, 0, 0, 0, ...table, 0, 0, 0];
  assert.deepEqual(reconCellGain(values, 2, 3), [1, 1, 1, 1, 1, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 1, 1, 1]);
  assert.ok(reconCellGain(values, 2, 1).every((g) => g === 1));
  // Within 0.4 of the median on every channel counts as alike.
  assert.deepEqual(reconCellGain([...table, ...table, 0.95, 0.55, -0.05], 1, 2), [1, 1, 1, 1, 1, 1, 1, 1, 1]);
});

test('the reconstruction head redraws the image tokens\' regions, trains the vision tower, and is never exported', () => {
  const stats = statsOf(makeStore(join(root, 'data-rc-stats')));
  const run = (name: string, c: SmallVlaConfig, steps: number) => trainHead(name, c, makeStore(join(root, `data-${name}`), true), stats, steps, 'reconHeadLoss');
  const learned = run('rc-learn', { ...cfg, reconHead: 1 }, 100);
  assert.ok(learned.losses.at(-1)! < 0.2 * learned.losses[0]!, `recon loss ${learned.losses.map((l) => l.toFixed(3)).join(' ')}`);
  assert.ok(!readFileSync(join(root, 'rc-learn', 'model.safetensors')).includes('training.'), 'the reconstruction head leaked into the exported model');
  assert.ok(maxAbsDiff(vit(run('rc-none', cfg, 4).trainer), vit(run('rc-head', { ...cfg, reconHead: 1 }, 4).trainer)) > 1e-5, 'the head did not change the vision tower');
  const first = (gain: number) => run(`rc-gain${gain}`, { ...cfg, reconHead: 1, reconGain: gain }, 1).losses[0]!;
  const [g4, g1] = [first(4), first(1)];
  assert.ok(g4 > 1.1 * g1, `the cell gain did not reach the loss: ${g4} against ${g1}`);
});
