import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, Tensor } from '../ops/index.js';
import { randomArray, randomInt, seededRandom } from '../ops/random.js';
import { causalMask, KvCache, LlamaModel, randomSource, type LlamaConfig } from '../model/index.js';
import { ArDecoder } from '../model/index.js';
import { positionsFrom } from '../model/index.js';
import { DraftHead } from './draft-head.js';
import { RelaxedAcceptance } from './relaxed-acceptance.js';
import type { CostCurves } from './cost-curve.js';
import { SpecDecoder } from './spec-decoder.js';
import { StrictAcceptance } from './strict-acceptance.js';

/**
 * Tiny random targets whose whole vocabulary counts as action bins (V = 24 < 256, so the relaxed
 * rule's action range covers every id) and drafts that propose from all of it: with top-k up to 8
 * of 24 tokens the trees are accepted often enough to exercise every path of the algorithm.
 */
const V = 24;
const candidates = { first: 0, count: V };

function makePair(seed: number): { target: LlamaModel; draft: DraftHead } {
  const rand = seededRandom(seed);
  const nHeads = [1, 2, 4][randomInt(rand, 0, 2)]!;
  const cfg: LlamaConfig = { vocabSize: V, hidden: 8 * nHeads, intermediate: 16, nLayers: randomInt(rand, 1, 2), nHeads, nKvHeads: nHeads === 4 ? 2 : nHeads, ropeTheta: 10000, eps: 1e-6 };
  const target = LlamaModel.load(randomSource(seed, 0.6), '', cfg);
  // Every other pair runs the prompt in bf16: decoders must still compute it alike.
  target.bf16Prompt = seed % 2 === 0;
  const draft = DraftHead.load(randomSource(seed + 7, 0.6), target, 256);
  return { target, draft };
}

function prefixOf(rand: () => number, d: number): Tensor {
  const P = randomInt(rand, 1, 9);
  return new Tensor(randomArray(rand, P * d, 1.5), [P, d]);
}

function randomShape(rand: () => number): { depth: number; topK: number; totalTokens: number } {
  // From a chain of one node to 60 nodes.
  const totalTokens = randomInt(rand, 1, 60);
  return { depth: randomInt(rand, 1, 7), topK: randomInt(rand, 1, 8), totalTokens };
}

test('lossless: strict and relaxed r=0 give exactly the AR tokens on 500 random cases', () => {
  let acceptedTokens = 0;
  let cases = 0;
  for (let seed = 1; cases < 500; seed++) {
    const { target, draft } = makePair(seed);
    const rand = seededRandom(seed * 31);
    const ar = new ArDecoder(target, 256);
    for (let k = 0; k < 10; k++, cases++) {
      const prefix = prefixOf(rand, target.cfg.hidden);
      const count = randomInt(rand, 1, 7);
      const want = ar.decode(prefix, count).tokens;
      const shape = randomShape(rand);
      for (const policy of [new StrictAcceptance(), new RelaxedAcceptance(V, 0)]) {
        const spec = new SpecDecoder(target, draft, { policy, tree: shape, candidates, priorBranch: k % 2 === 1, capacity: 256 });
        const got = spec.decode(prefix, count);
        assert.deepEqual(got.tokens, want, `seed ${seed} case ${k} ${policy.name} tree ${JSON.stringify(shape)}`);
        acceptedTokens += got.stats.accepted.filter(Boolean).length;
      }
    }
  }
  assert.ok(acceptedTokens > 200, `the drafts were accepted only ${acceptedTokens} times: the test would not exercise acceptance`);
});

test('prior in the prefill: a repeated observation is decoded in one forward, a nearby one still exactly as ar', () => {
  let oneForward = 0;
  let partial = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const { target, draft } = makePair(seed);
    const rand = seededRandom(seed * 13);
    const ar = new ArDecoder(target, 256);
    const spec = new SpecDecoder(target, draft, { policy: new StrictAcceptance(), tree: randomShape(rand), candidates, priorBranch: true, capacity: 256 });
    const prefix = prefixOf(rand, target.cfg.hidden);
    const count = randomInt(rand, 1, 7);
    assert.deepEqual(spec.decode(prefix, count).tokens, ar.decode(prefix, count).tokens);
    const again = spec.decode(prefix, count);
    assert.deepEqual(again.tokens, ar.decode(prefix, count).tokens, `seed ${seed}: repeat`);
    assert.equal(again.stats.targetForwards, 1, `seed ${seed}: the prior should be accepted whole`);
    assert.ok(again.stats.accepted.every(Boolean));
    oneForward++;
    // A perturbed observation: the prior is right only up to some token; the rest must still be ar's.
    for (let k = 0; k < 5; k++) {
      const near = new Tensor(prefix.data.map((x) => x + (rand() - 0.5) * 0.6), prefix.shape);
      const got = spec.decode(near, count);
      assert.deepEqual(got.tokens, ar.decode(near, count).tokens, `seed ${seed} perturbation ${k}`);
      if (got.stats.accepted[0] && !got.stats.accepted.every(Boolean)) partial++;
    }
  }
  assert.equal(oneForward, 40);
  assert.ok(partial > 5, `a partly accepted prior happened only ${partial} times`);
});

test('sized trees: strict stays exactly ar, and a draft prefill dearer than plain steps is skipped', () => {
  // Verify costs that make trees cheap, and a draft prefill either free or dearer than 7 steps.
  const costs = (draftPrefill: number): CostCurves => ({
    target: new Map([[1, 1], [4, 1.1], [16, 1.5], [64, 3]]),
    draft: new Map([[1, 0.1], [8, 0.2]]),
    draftPrefill,
    targetStepMs: 1,
  });
  const runs = { cheap: { drafted: 0, plain: 0 }, dear: { drafted: 0, plain: 0 } };
  for (let seed = 1; seed <= 6; seed++) {
    const { target, draft } = makePair(seed);
    const ar = new ArDecoder(target, 256);
    for (const kind of ['cheap', 'dear'] as const) {
      const rand = seededRandom(seed * 41);
      const spec = new SpecDecoder(target, draft, { policy: new StrictAcceptance(), tree: 'auto', candidates, priorBranch: true, capacity: 256, costs: costs(kind === 'cheap' ? 0 : 10) });
      let prefix = prefixOf(rand, target.cfg.hidden);
      for (let k = 0; k < 60; k++) {
        // Consecutive observations drift, so the prior is often right only in part.
        prefix = new Tensor(prefix.data.map((x) => x + (rand() - 0.5) * 0.8), prefix.shape);
        const got = spec.decode(prefix, 7);
        assert.deepEqual(got.tokens, ar.decode(prefix, 7).tokens, `seed ${seed} ${kind} call ${k}`);
        if (got.stats.targetForwards > 1) runs[kind][got.stats.draftForwards > 0 ? 'drafted' : 'plain']++;
      }
    }
  }
  // A free prefill drafts wherever a tree beats plain steps (not where one token is left: the bonus gives it).
  assert.ok(runs.cheap.drafted > 4 * runs.cheap.plain, `a free draft prefill: ${JSON.stringify(runs)}`);
  // A dear one is still paid while some dimension lacks evidence, and skipped once none does.
  assert.ok(runs.dear.plain >= runs.cheap.plain + 40, `a dear draft prefill: ${JSON.stringify(runs)}`);
});

test('relaxed guarantee: every emitted token is within r of the target’s greedy token given the emitted prefix', () => {
  let relaxedHits = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const { target, draft } = makePair(seed);
    const rand = seededRandom(seed * 17);
    const radii = Array.from({ length: 7 }, () => randomInt(rand, 0, 4));
    const prior = seed % 2 === 0;
    const spec = new SpecDecoder(target, draft, { policy: new RelaxedAcceptance(V, radii), tree: randomShape(rand), candidates, priorBranch: prior, capacity: 256 });
    for (let k = 0; k < 5; k++) {
      const prefix = prefixOf(rand, target.cfg.hidden);
      const { tokens } = spec.decode(prefix, 7);
      // Teacher-force the emitted tokens through the target: greedy[i] is its choice for token i.
      const P = prefix.rows;
      const seq = Tensor.zeros([P + 6, target.cfg.hidden]);
      seq.data.set(prefix.data);
      seq.data.set(target.embed(tokens.slice(0, 6)).data, P * target.cfg.hidden);
      const cache = new KvCache(target.cfg.nLayers, target.kvWidth, 64);
      const out = target.forward(seq, positionsFrom(0, P + 6), causalMask(0, P + 6), cache, { prompt: P });
      const greedy = argmax(out.logits.slice(P - 1, P + 6));
      tokens.forEach((t, i) => {
        // Without a prior the first token is the prefill's own; with one, it too may be a relaxed draft.
        assert.ok(Math.abs(t - greedy[i]!) <= (i === 0 && !prior ? 0 : radii[i]!), `seed ${seed}: token ${i} = ${t}, greedy ${greedy[i]}, r ${radii[i]}`);
        if (t !== greedy[i]) relaxedHits++;
      });
    }
  }
  assert.ok(relaxedHits > 10, `relaxed acceptance never took a non-greedy token (${relaxedHits})`);
});

test('counting: AR makes one target forward per token; SD counters match the target calls observed', () => {
  const { target, draft } = makePair(3);
  let calls = 0;
  const forward = target.forward.bind(target);
  target.forward = (...args: Parameters<typeof forward>) => {
    calls++;
    return forward(...args);
  };
  const rand = seededRandom(5);
  const prefix = prefixOf(rand, target.cfg.hidden);
  const ar = new ArDecoder(target, 256).decode(prefix, 7);
  assert.equal(calls, 7);
  assert.equal(ar.stats.targetForwards, 7);
  assert.equal(ar.stats.acceptLength, 1);
  for (const tree of [{ depth: 6, topK: 4, totalTokens: 20 }, { depth: 1, topK: 1, totalTokens: 2 }, { depth: 3, topK: 2, totalTokens: 1 }]) {
    calls = 0;
    const spec = new SpecDecoder(target, draft, { policy: new RelaxedAcceptance(V, 3), tree, candidates, capacity: 256 }).decode(prefix, 7);
    assert.equal(spec.stats.targetForwards, calls, `tree ${JSON.stringify(tree)}`);
    assert.equal(spec.stats.acceptLength, 7 / calls);
    // Each forward yields one token of the target's own, except a last cycle that accepted every remaining token.
    const own = 7 - spec.stats.accepted.filter(Boolean).length;
    assert.ok(own === calls || own === calls - 1, `${own} own tokens for ${calls} forwards`);
  }
});
