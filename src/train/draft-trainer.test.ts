import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tape, Tensor } from '../ops/index.js';
import { maxAbsDiff } from '../ops/testing.js';
import { randomArray, seededRandom } from '../ops/random.js';
import { ArDecoder, causalMask, LlamaModel, positionsFrom, randomSource, type LlamaConfig } from '../model/index.js';
import { DraftHead, RelaxedAcceptance, SpecDecoder, StrictAcceptance, type AcceptancePolicy } from '../spec/index.js';
import { DraftTrainer, makeDraftSample } from './draft-trainer.js';

const cfg: LlamaConfig = { vocabSize: 272, hidden: 32, intermediate: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, ropeTheta: 10000, eps: 1e-6 };
const candidates = { first: 16, count: 256 };

/** Prefixes that share structure (a few "scenes" plus noise), as camera frames of one task would. */
function prefixes(seed: number, n: number): Tensor[] {
  const rand = seededRandom(seed);
  const scenes = Array.from({ length: 4 }, () => randomArray(rand, 6 * cfg.hidden, 1));
  return Array.from({ length: n }, (_, i) => {
    const p = Float32Array.from(scenes[i % 4]!, (v) => v + (rand() - 0.5) * 0.3);
    return new Tensor(p, [6, cfg.hidden]);
  });
}

test('the training graph equals the inference draft head on the same weights', () => {
  const target = LlamaModel.load(randomSource(3, 0.5), '', cfg);
  const trainer = new DraftTrainer(target, { steps: 0, candidates });
  const sample = makeDraftSample(target, prefixes(1, 1)[0]!, 7);
  const predicted = trainer.forward(new Tape(), sample).value;
  const draft = new DraftHead(target, trainer.params.get('fc.weight').value, trainer.params.get('fc.bias').value, trainer.layerForInference(), 64);
  const N = sample.embeds.rows;
  const out = draft.forward(sample.embeds.slice(1, N), sample.features.slice(0, N - 1), positionsFrom(0, N - 1), causalMask(0, N - 1));
  assert.ok(maxAbsDiff(out.data, predicted.data) < 1e-4);
});

test('a batch of samples in one graph gives each sample the rows it gets alone (attention stays within a sample)', () => {
  const target = LlamaModel.load(randomSource(3, 0.5), '', cfg);
  const trainer = new DraftTrainer(target, { steps: 0, candidates });
  const [a, b] = prefixes(2, 2).map((p, i) => makeDraftSample(target, i ? p.slice(0, 4) : p, 7)) as [ReturnType<typeof makeDraftSample>, ReturnType<typeof makeDraftSample>];
  const both = trainer.forwardBatch(new Tape(), [a, b]).value;
  const alone = [trainer.forward(new Tape(), a).value, trainer.forward(new Tape(), b).value];
  assert.equal(both.rows, alone[0]!.rows + alone[1]!.rows);
  assert.ok(maxAbsDiff(both.data.subarray(0, alone[0]!.size), alone[0]!.data) < 1e-5);
  assert.ok(maxAbsDiff(both.data.subarray(alone[0]!.size), alone[1]!.data) < 1e-5);
});

test('a trained draft is accepted far more often than an untrained one, and strict stays lossless', () => {
  const target = LlamaModel.load(randomSource(3, 0.25), '', cfg);
  const train = prefixes(5, 48).map((p) => makeDraftSample(target, p, 7));
  const losses: number[] = [];
  const trainer = new DraftTrainer(target, { steps: 300, candidates, batch: 4, lr: 5e-3, tokenWeight: 1, onProgress: (_, l) => losses.push(l), every: 50 });
  const untrained = trainer.draftHead();
  trainer.train(train);
  const trained = trainer.draftHead();
  assert.ok(losses[losses.length - 1]! < losses[0]! * 0.95, `loss ${losses.map((l) => l.toFixed(3)).join(' -> ')}`);
  const held = prefixes(5, 60).slice(48);
  const acceptLength = (draft: DraftHead, policy: AcceptancePolicy = new StrictAcceptance()) => {
    const dec = new SpecDecoder(target, draft, { policy, tree: { depth: 6, topK: 1, totalTokens: 7 }, candidates, capacity: 128 });
    return held.reduce((s, p) => s + dec.decode(p, 7).stats.acceptLength, 0) / held.length;
  };
  const before = acceptLength(untrained);
  const after = acceptLength(trained);
  assert.ok(after > before + 0.25 && after > 1.3, `accept length untrained ${before.toFixed(2)}, trained ${after.toFixed(2)}`);
  assert.ok(acceptLength(trained, new RelaxedAcceptance(cfg.vocabSize, 8)) >= after);

  // Lossless with a trained draft too: strict and relaxed r=0 return exactly the AR tokens.
  const ar = new ArDecoder(target, 128);
  const rand = seededRandom(11);
  let accepted = 0;
  for (let k = 0; k < 100; k++) {
    const prefix = held[k % held.length]!;
    const tree = { depth: 1 + (k % 6), topK: 1 + (k % 4), totalTokens: 1 + Math.floor(rand() * 40) };
    const policy = k % 2 ? new StrictAcceptance() : new RelaxedAcceptance(cfg.vocabSize, 0);
    const got = new SpecDecoder(target, trained, { policy, tree, candidates, priorBranch: k % 3 === 0, capacity: 128 }).decode(prefix, 7);
    assert.deepEqual(got.tokens, ar.decode(prefix, 7).tokens, `case ${k} tree ${JSON.stringify(tree)}`);
    accepted += got.stats.accepted.filter(Boolean).length;
  }
  assert.ok(accepted > 50, `trained drafts accepted only ${accepted} tokens`);
});
