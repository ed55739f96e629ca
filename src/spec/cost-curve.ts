import { Tensor } from '../ops/index.js';
import { causalMask, KvCache, type LlamaModel } from '../model/index.js';
import type { DraftHead } from './draft-head.js';
import { positionsFrom } from '../model/index.js';

/** Forward cost of T new tokens relative to one, for the target; the draft's relative to the target's one-token step. */
export interface CostCurves {
  target: Map<number, number>;
  draft: Map<number, number>;
  /** The draft's prefill over the prefix (its forward over every prefix row) relative to the target's one-token step. */
  draftPrefill: number;
  /** Milliseconds of one target forward of one token after the measured prefix. */
  targetStepMs: number;
}

/** T rows taken cyclically from x: inputs of any length for timing. */
function tile(x: Tensor, T: number): Tensor {
  const out = Tensor.zeros([T, x.cols]);
  for (let i = 0; i < T; i++) out.data.set(x.data.subarray((i % x.rows) * x.cols, ((i % x.rows) + 1) * x.cols), i * x.cols);
  return out;
}

/**
 * Best times of `a` and `b` over `reps` alternating runs (after one warm-up each): interference only
 * ever adds time, and alternating puts drift on both sides of the ratio alike.
 */
function bestPairMs(a: () => void, b: () => void, reps: number): [number, number] {
  a();
  b();
  let ta = Infinity;
  let tb = Infinity;
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    a();
    ta = Math.min(ta, performance.now() - t);
    t = performance.now();
    b();
    tb = Math.min(tb, performance.now() - t);
  }
  return [ta, tb];
}

/** Costs made non-decreasing in the token count: a forward over more tokens never costs less (what is left of noise otherwise makes big trees look free). */
function monotone(curve: Map<number, number>): Map<number, number> {
  let floor = 0;
  return new Map([...curve].sort((x, y) => x[0] - y[0]).map(([k, v]) => [k, (floor = Math.max(floor, v))]));
}

/**
 * Measures on this machine what a verify pass of T tokens costs after `prefix`, and what a draft
 * round of K tokens costs: the inputs of tree sizing. Uses scratch caches; takes about a hundred forwards.
 */
export function measureCostCurves(target: LlamaModel, draft: DraftHead, prefix: Tensor, candidates: { first: number; count: number }, Ts = [1, 2, 4, 8, 16, 32], Ks = [1, 2, 4, 8], reps = 5): CostCurves {
  const P = prefix.rows;
  const cache = new KvCache(target.cfg.nLayers, target.kvWidth, P + Math.max(...Ts));
  target.forward(prefix, positionsFrom(0, P), causalMask(0, P), cache, { logits: 'none', prompt: P });
  const step = (T: number) => {
    const x = tile(prefix, T);
    return () => {
      target.forward(x, positionsFrom(P, T), causalMask(P, T), cache);
      cache.truncate(P);
    };
  };
  const stepOne = step(1);
  const pairs = Ts.map((T) => bestPairMs(stepOne, step(T), reps));
  const one = Math.min(...pairs.map(([o]) => o));
  const targetCurve = monotone(new Map(Ts.map((T, i) => [T, T === 1 ? 1 : Math.max(1, pairs[i]![1] / pairs[i]![0])])));

  const draftPrefill = () => {
    draft.cache.truncate(0);
    draft.forward(prefix, prefix, positionsFrom(0, P), causalMask(0, P), P);
  };
  const [stepMs, prefillMs] = bestPairMs(stepOne, draftPrefill, reps);
  const draftRound = (K: number) => {
    const x = tile(prefix, K);
    return () => {
      const out = draft.forward(x, x, positionsFrom(P, K), causalMask(P, K));
      draft.propose(out, K, candidates);
      draft.cache.truncate(P);
    };
  };
  const draftCurve = monotone(new Map(Ks.map((K) => {
    const [o, d] = bestPairMs(stepOne, draftRound(K), reps);
    return [K, d / o];
  })));
  draft.cache.truncate(0);
  return { target: targetCurve, draft: draftCurve, draftPrefill: prefillMs / stepMs, targetStepMs: one };
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Point by point median of cost curves measured at the same points at different times: on a shared machine one
 * measurement can land on a burst of someone else's work, and the trees sized from it would be
 * wrong for as long as it is used.
 */
export function medianCurves(curves: readonly CostCurves[]): CostCurves {
  if (curves.length === 0) throw new Error('medianCurves: no curves');
  const pointwise = (pick: (c: CostCurves) => Map<number, number>) =>
    monotone(new Map([...pick(curves[0]!).keys()].map((x) => [x, median(curves.map((c) => pick(c).get(x)!))])));
  return {
    target: pointwise((c) => c.target),
    draft: pointwise((c) => c.draft),
    draftPrefill: median(curves.map((c) => c.draftPrefill)),
    targetStepMs: median(curves.map((c) => c.targetStepMs)),
  };
}
