import { Tensor } from '../ops/index.js';
import { causalMask, KvCache, type LlamaModel } from '../model/index.js';
import type { DraftHead } from './draft-head.js';
import { positionsFrom } from '../model/index.js';

/** Forward cost of T new tokens relative to one, for the target; the draft's relative to the target's one-token step. */
export interface CostCurves {
  target: Map<number, number>;
  draft: Map<number, number>;
  /** Milliseconds of one target forward of one token after the measured prefix. */
  targetStepMs: number;
}

/** T rows taken cyclically from x: inputs of any length for timing. */
function tile(x: Tensor, T: number): Tensor {
  const out = Tensor.zeros([T, x.cols]);
  for (let i = 0; i < T; i++) out.data.set(x.data.subarray((i % x.rows) * x.cols, ((i % x.rows) + 1) * x.cols), i * x.cols);
  return out;
}

function medianMs(fn: () => void, reps: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[reps >> 1]!;
}

/**
 * Measures on this machine what a verify pass of T tokens costs after `prefix`, and what a draft
 * round of K tokens costs: the inputs of tree sizing. Uses scratch caches; takes a few dozen forwards.
 */
export function measureCostCurves(target: LlamaModel, draft: DraftHead, prefix: Tensor, candidates: { first: number; count: number }, Ts = [1, 2, 4, 8, 16, 32], Ks = [1, 2, 4, 8], reps = 5): CostCurves {
  const P = prefix.rows;
  const cache = new KvCache(target.cfg.nLayers, target.kvWidth, P + Math.max(...Ts));
  target.forward(prefix, positionsFrom(0, P), causalMask(0, P), cache, { logits: 'none' });
  const stepMs = (T: number) => {
    const x = tile(prefix, T);
    return medianMs(() => {
      target.forward(x, positionsFrom(P, T), causalMask(P, T), cache);
      cache.truncate(P);
    }, reps);
  };
  const one = stepMs(1);
  const targetCurve = new Map(Ts.map((T) => [T, T === 1 ? 1 : stepMs(T) / one]));

  draft.cache.truncate(0);
  draft.forward(prefix, prefix, positionsFrom(0, P), causalMask(0, P));
  const draftRound = (K: number) => {
    const x = tile(prefix, K);
    return medianMs(() => {
      const out = draft.forward(x, x, positionsFrom(P, K), causalMask(P, K));
      for (let i = 0; i < K; i++) draft.propose(out.slice(i, i + 1), K, candidates);
      draft.cache.truncate(P);
    }, reps);
  };
  const draftCurve = new Map(Ks.map((K) => [K, draftRound(K) / one]));
  draft.cache.truncate(0);
  return { target: targetCurve, draft: draftCurve, targetStepMs: one };
}
