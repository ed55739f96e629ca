import type { Tensor } from '../ops/index.js';
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
  const stepMs = (T: number) =>
    medianMs(() => {
      target.forward(prefix.slice(0, T), positionsFrom(P, T), causalMask(P, T), cache);
      cache.truncate(P);
    }, reps);
  const one = stepMs(1);
  const targetCurve = new Map(Ts.map((T) => [T, T === 1 ? 1 : stepMs(T) / one]));

  draft.cache.truncate(0);
  draft.forward(prefix, prefix, positionsFrom(0, P), causalMask(0, P));
  const draftCurve = new Map(
    Ks.map((K) => [
      K,
      medianMs(() => {
        const out = draft.forward(prefix.slice(0, K), prefix.slice(0, K), positionsFrom(P, K), causalMask(P, K));
        for (let i = 0; i < K; i++) draft.propose(out.slice(i, i + 1), K, candidates);
        draft.cache.truncate(P);
      }, reps) / one,
    ]),
  );
  draft.cache.truncate(0);
  return { target: targetCurve, draft: draftCurve, targetStepMs: one };
}
